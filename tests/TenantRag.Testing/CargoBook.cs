using System.Diagnostics;

namespace TenantRag.Testing;

/// <summary>
/// The Cargo Book as rustup installs it with the Rust documentation (<c>rustup doc --cargo --path</c> prints its
/// index.html), and the question set over it committed at <c>eval/cargo-book</c>. The book is not part of the
/// repository: tests that need it are skipped, with <see cref="NotInstalled"/> as the reason, when it is missing.
/// </summary>
public static class CargoBook
{
    /// <summary>The reason a test that needs the book is skipped without it.</summary>
    public const string NotInstalled =
        "the Cargo Book is not installed: 'rustup component add rust-docs' installs it ('rustup doc --cargo --path' prints where), or set TENANTRAG_CARGO_BOOK to its directory";

    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The book's directory (holding index.html, guide/, reference/, ...), or null when it is not installed.</summary>
    public static string? Directory => Found.Value;

    /// <summary>The committed question set over the book: <c>eval/cargo-book</c> of the repository.</summary>
    public static string SetDirectory { get; } = Path.Combine(RepositoryRoot(), "eval", "cargo-book");

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("TENANTRAG_CARGO_BOOK") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "index.html")) ? Path.GetFullPath(configured) : null;
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string[] rustups = ["rustup", Path.Combine(Environment.GetEnvironmentVariable("CARGO_HOME") ?? Path.Combine(home, ".cargo"), "bin", "rustup")];
        foreach (var rustup in rustups)
        {
            if (IndexPath(rustup) is { } index && File.Exists(index))
            {
                return Path.GetDirectoryName(index);
            }
        }

        return null;
    }

    private static string? IndexPath(string rustup)
    {
        var start = new ProcessStartInfo(rustup) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["doc", "--cargo", "--path"])
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return process.ExitCode == 0 ? output.Result.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no such program
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TenantRag.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no TenantRag.slnx above {AppContext.BaseDirectory}: run the tests from the repository's build output");
    }
}
