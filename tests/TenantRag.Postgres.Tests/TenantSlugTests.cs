using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

public sealed class TenantSlugTests
{
    /// <summary>
    /// Near misses of the slug format: wrong length, case, first character or separator, and characters that look
    /// allowed but are not. Reused by <see cref="TenantCommandTests"/>. The hostile corpus (injection, traversal,
    /// control characters, look-alikes of a real tenant, ...) is added in <see cref="BadSlugs"/>.
    /// </summary>
    public static readonly IReadOnlyList<string?> BadSlugTexts =
    [
        null,
        "ab",
        "a" + new string('b', 40),
        "Acme",
        "ACME-CORP",
        "1acme",
        "-acme",
        "acme_corp",
        "acme corp",
        " acme",
        "acme ",
        "acme\u2010corp",
        "acme.corp",
        "ßacme",
        "acme$1",
        "acme%",
    ];

    // Corpus entries appear in test names by name ("corpus:sql/quote-drop"), not by value (up to 1 MB, with NUL).
    private const string CorpusKey = "corpus:";

    /// <summary>
    /// <see cref="BadSlugTexts"/>, and every corpus string but the other tenant's own slug (the only valid one)
    /// as <c>corpus:</c> + its name; <see cref="Text"/> turns a case back into the text.
    /// </summary>
    public static TheoryData<string?> BadSlugs =>
        new(BadSlugTexts.Concat(HostileStrings.All.Where(s => s.Value != HostileStrings.OtherTenant).Select(s => CorpusKey + s.Name)));

    public static TheoryData<string> GoodSlugs =>
    [
        "abc",
        "acme",
        "acme-corp",
        "a1-",
        "a--b",
        "x" + new string('9', 39),
        "tenant-2026",
    ];

    [Theory]
    [MemberData(nameof(BadSlugs))]
    public void Parse_BadSlug_ThrowsInvalidSlugWithExitCode2(string? slugCase)
    {
        var text = Text(slugCase);

        var ex = Assert.Throws<InvalidSlugException>(() => TenantSlug.Parse(text));

        Assert.Equal(2, ex.ExitCode);
        Assert.Equal(text, ex.Slug);
        Assert.IsType<UsageException>(ex, exactMatch: false);
        Assert.False(TenantSlug.TryParse(text, out _));
    }

    [Theory]
    [MemberData(nameof(BadSlugs))]
    public void Parse_BadSlug_MessageIsOneSafeLine(string? slugCase)
    {
        var text = Text(slugCase);

        var ex = Assert.Throws<InvalidSlugException>(() => TenantSlug.Parse(text));

        Assert.DoesNotContain('\n', ex.Message);
        Assert.DoesNotContain('\0', ex.Message);
        Assert.Contains("3-40 characters", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 300, $"the message quotes {ex.Message.Length} characters of input");
    }

    [Theory]
    [MemberData(nameof(GoodSlugs))]
    public void Parse_GoodSlug_KeepsTextAndDerivesIdentifierPart(string text)
    {
        var slug = TenantSlug.Parse(text);

        Assert.Equal(text, slug.Value);
        Assert.Equal(text, slug.ToString());
        Assert.Equal(text.Replace('-', '_'), slug.IdentifierPart);
        Assert.Matches("^[a-z][a-z0-9_]{2,39}$", slug.IdentifierPart);
    }

    [Fact]
    public void Parse_LengthBoundaries_Accepts3To40Only()
    {
        var three = "abc";
        var forty = "a" + new string('b', 39);

        var accepted = new[] { three, forty }.Select(s => TenantSlug.TryParse(s, out _));
        var rejected = new[] { three[..2], forty + "b" }.Select(s => TenantSlug.TryParse(s, out _));

        Assert.All(accepted, Assert.True);
        Assert.All(rejected, Assert.False);
    }

    [Fact]
    public void IdentifierPart_DistinctSlugs_NeverCollide()
    {
        var slugs = new[] { "acme-corp", "acmecorp", "acme-c-orp", "acme--corp" }.Select(TenantSlug.Parse).ToList();

        var parts = slugs.Select(s => s.IdentifierPart).ToList();

        Assert.Equal(parts.Count, parts.Distinct(StringComparer.Ordinal).Count());
    }

    private static string? Text(string? slugCase) =>
        slugCase is not null && slugCase.StartsWith(CorpusKey, StringComparison.Ordinal) ? HostileStrings.Get(slugCase[CorpusKey.Length..]).Value : slugCase;
}
