namespace TenantRag.Testing;

/// <summary>
/// Real HTML pages copied from the Rust documentation installed with the toolchain (<c>rustup doc --path</c>, Rust
/// 1.95.0; MIT or Apache-2.0): two pages that only redirect, as mdBook and rustdoc write them, a short page with
/// text of its own, and a chapter of the Cargo Book as mdBook writes it. In <c>Fixtures/RustDocs</c> of the test output.
/// </summary>
public static class RustDocPages
{
    /// <summary>mdBook's redirect of a moved chapter: "Redirecting...", a meta refresh, a canonical link and a script.</summary>
    public const string BookRedirect = "ch17-02-trait-objects.html";

    /// <summary>rustdoc's redirect of a re-exported item: "Redirection", a meta refresh and a script.</summary>
    public const string RustdocRedirect = "struct.TcpListener.html";

    /// <summary>A page of the old book with a paragraph of its own and links to where the chapter went.</summary>
    public const string ContentPage = "concurrency.html";

    /// <summary>A sentence of <see cref="ContentPage"/>'s text.</summary>
    public const string ContentSentence = "Historically, programming [concurrency] has been difficult and error prone: Rust hopes to change that.";

    /// <summary>
    /// The Cargo Book's chapter "Tests" (<c>guide/tests.html</c>): the chapter in <c>&lt;main&gt;</c>, around it a sidebar,
    /// a menu bar naming the book and a keyboard-shortcuts popup that only the book's stylesheet hides.
    /// </summary>
    public const string BookChapter = "cargo-guide-tests.html";

    /// <summary>The path of one of the pages.</summary>
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "RustDocs", name);

    /// <summary>The bytes of one of the pages.</summary>
    public static byte[] Read(string name) => File.ReadAllBytes(Path(name));
}
