using System.Text.RegularExpressions;

namespace TenantRag.Lab;

/// <summary>
/// Who a soak document belongs to, written into its title and text (<c>SOAKMARK.tenant.owner.visibility.serial</c>), so
/// that every search hit, citation, answer and listed document can be checked against the caller without asking the
/// server, whatever raced with what.
/// </summary>
internal sealed partial record BenchSoakMarker(string Tenant, string Owner, string Visibility, string Serial)
{
    public const string PrivateVisibility = "private";

    public const string TenantVisibility = "tenant";

    public override string ToString() => $"SOAKMARK.{Tenant}.{Owner}.{Visibility}.{Serial}";

    /// <summary>The title of the document carrying this marker.</summary>
    public string Title => $"Soak note {Serial} {this}";

    /// <summary>True when <paramref name="tenant"/>'s user <paramref name="user"/> may see the document.</summary>
    public bool VisibleTo(string tenant, string user) =>
        string.Equals(Tenant, tenant, StringComparison.Ordinal) && (Visibility == TenantVisibility || string.Equals(Owner, user, StringComparison.Ordinal));

    /// <summary>The first marker in <paramref name="text"/>, or null.</summary>
    public static BenchSoakMarker? Find(string? text) => text is null ? null : All(text).FirstOrDefault();

    /// <summary>Every marker in <paramref name="text"/>.</summary>
    public static IEnumerable<BenchSoakMarker> All(string text) =>
        Pattern().Matches(text).Select(m => new BenchSoakMarker(m.Groups["t"].Value, m.Groups["o"].Value, m.Groups["v"].Value, m.Groups["s"].Value));

    [GeneratedRegex(@"SOAKMARK\.(?<t>[a-z][a-z0-9-]*)\.(?<o>[a-z0-9]+)\.(?<v>tenant|private)\.(?<s>[a-z0-9]+)", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
