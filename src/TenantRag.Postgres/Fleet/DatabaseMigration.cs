namespace TenantRag.Postgres.Fleet;

/// <summary>One database as <c>tenantrag migrate</c> reports it (<see cref="FleetMigrator"/>).</summary>
public sealed record DatabaseMigration
{
    /// <summary><see cref="Status"/> of a database brought to the newest version by this run.</summary>
    public const string Migrated = "migrated";

    /// <summary><see cref="Status"/> of a database that was at the newest version already.</summary>
    public const string Current = "current";

    /// <summary><see cref="Status"/> of a database that could not be migrated (see <see cref="Error"/>).</summary>
    public const string Failed = "failed";

    /// <summary>The server it is on (<c>primary</c>, or a name of <c>tenantrag server list</c>).</summary>
    public required string Server { get; init; }

    /// <summary>The database.</summary>
    public required string Database { get; init; }

    /// <summary><c>template</c>, <c>shared</c> or <c>dedicated</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>
    /// The version it was at: read from the database itself when it was opened, else the catalog's record (a database
    /// recorded at the newest version is not opened); null when neither is known.
    /// </summary>
    public int? VersionBefore { get; init; }

    /// <summary>The version it is at now; null when it failed.</summary>
    public int? VersionAfter { get; init; }

    /// <summary><see cref="Migrated"/>, <see cref="Current"/> or <see cref="Failed"/>.</summary>
    public required string Status { get; init; }

    /// <summary>Why it failed (one line, never a password), when it did.</summary>
    public string? Error { get; init; }
}
