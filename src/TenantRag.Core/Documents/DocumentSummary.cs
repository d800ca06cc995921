namespace TenantRag.Documents;

/// <summary>A document as listed to a user who may see it.</summary>
public sealed record DocumentSummary
{
    /// <summary>The document id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The tenant it belongs to.</summary>
    public required string TenantId { get; init; }

    /// <summary>Its title.</summary>
    public required string Title { get; init; }

    /// <summary>The user who owns it.</summary>
    public required string OwnerId { get; init; }

    /// <summary>Who may see it.</summary>
    public required DocumentVisibility Visibility { get; init; }

    /// <summary>When it was added.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}
