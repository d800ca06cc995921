using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tests;

public sealed class TenantSlugTests
{
    /// <summary>
    /// Slugs that must never reach SQL, a database name or a path: wrong length, wrong characters, look-alikes,
    /// injection and traversal attempts, control characters, null. Reused by <see cref="TenantCommandTests"/>.
    /// </summary>
    public static readonly IReadOnlyList<string?> BadSlugTexts =
    [
        null,
        "",
        " ",
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
        "\u0430cme",
        "acm\u0435-corp",
        "acme\u2010corp",
        "ａcme",
        "a'; drop database x;--",
        "acme\"; drop role x;--",
        "../etc",
        "acme/../../etc",
        "acme.corp",
        "\nacme",
        "ac\nme",
        "acme\r",
        "acme\n",
        "acme\r\n",
        "acme\0x",
        "ac\tme",
        "acme\u200b",
        "ßacme",
        "acme$1",
        "acme%",
    ];

    public static TheoryData<string?> BadSlugs => new(BadSlugTexts);

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
    public void Parse_BadSlug_ThrowsInvalidSlugWithExitCode2(string? text)
    {
        var ex = Assert.Throws<InvalidSlugException>(() => TenantSlug.Parse(text));

        Assert.Equal(2, ex.ExitCode);
        Assert.Equal(text, ex.Slug);
        Assert.IsType<UsageException>(ex, exactMatch: false);
        Assert.False(TenantSlug.TryParse(text, out _));
    }

    [Theory]
    [MemberData(nameof(BadSlugs))]
    public void Parse_BadSlug_MessageIsOneSafeLine(string? text)
    {
        var ex = Assert.Throws<InvalidSlugException>(() => TenantSlug.Parse(text));

        Assert.DoesNotContain('\n', ex.Message);
        Assert.DoesNotContain('\0', ex.Message);
        Assert.Contains("3-40 characters", ex.Message, StringComparison.Ordinal);
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
}
