namespace TenantRag.Postgres.Moves;

/// <summary>What a move did, as <c>tenantrag tenant move</c> prints it.</summary>
public sealed record MoveReport
{
    /// <summary>The move.</summary>
    public required TenantMove Move { get; init; }

    /// <summary>Initial copy: from the subscription's creation until every table was copied.</summary>
    public TimeSpan? Copy { get; init; }

    /// <summary>Catch-up lag: how long a change made at the source took to appear at the target, just before the fence.</summary>
    public TimeSpan? CatchUp { get; init; }

    /// <summary>How long the tenant's writes were fenced (waiting, or answering 503): from the fence to the catalog's switch.</summary>
    public TimeSpan? Fence { get; init; }

    /// <summary>The tenant's documents and chunks at the target after the switch.</summary>
    public (long Documents, long Chunks)? Rows { get; init; }
}
