namespace TenantRag.Postgres.Drills;

/// <summary>The outcome of one leak drill.</summary>
public sealed record DrillResult
{
    /// <summary>Stable drill name, e.g. <c>no-where</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>shared</c> or <c>dedicated</c>.</summary>
    public required string Model { get; init; }

    /// <summary>True when nothing leaked.</summary>
    public required bool Passed { get; init; }

    /// <summary>What the drill tried, in one line.</summary>
    public required string Attempt { get; init; }

    /// <summary>What was observed, in one line.</summary>
    public required string Observed { get; init; }
}
