namespace TenantRag.Documents;

/// <summary>Who inside a tenant may see a document.</summary>
public enum DocumentVisibility
{
    /// <summary>Every user of the tenant.</summary>
    Tenant,

    /// <summary>Only its owner.</summary>
    Private,
}

/// <summary>Text forms of <see cref="DocumentVisibility"/> (<c>tenant</c>, <c>private</c>), as stored and as typed.</summary>
public static class DocumentVisibilities
{
    /// <summary>The stored name.</summary>
    public static string ToName(this DocumentVisibility visibility) => visibility switch
    {
        DocumentVisibility.Tenant => "tenant",
        DocumentVisibility.Private => "private",
        _ => throw new ArgumentOutOfRangeException(nameof(visibility), visibility, "unknown visibility"),
    };

    /// <summary>Parses <c>tenant</c> or <c>private</c>.</summary>
    public static DocumentVisibility Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "tenant" => DocumentVisibility.Tenant,
        "private" => DocumentVisibility.Private,
        _ => throw new UsageException($"unknown visibility '{UsageException.Echo(text)}': use tenant or private"),
    };
}
