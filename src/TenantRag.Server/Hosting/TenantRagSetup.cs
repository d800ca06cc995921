using Microsoft.Extensions.AI;
using TenantRag.Postgres;

namespace TenantRag.Hosting;

/// <summary>What a host sets in code when it registers TenantRag (everything else is configuration: <see cref="TenantRagSettings"/>).</summary>
public sealed class TenantRagSetup
{
    /// <summary>The embedding model; null (the default) for the bundled all-MiniLM-L6-v2.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Embeddings { get; set; }

    /// <summary>
    /// Whether uploads embed at normal priority (a command that only ingests: nothing to share the CPU with) instead of on
    /// low-priority threads that step back for searches (a server). Default false.
    /// </summary>
    public bool ForegroundUploads { get; set; }

    /// <summary>
    /// Whether this host keeps its cached catalog entries in step with the catalog by listening for its notifications
    /// (<c>CatalogListener</c>: one connection of its own to the catalog database, held while the host runs), so a tenant
    /// deleted, suspended or moved by another process is seen at once rather than after <c>Database:CatalogCacheTtl</c>.
    /// Default true: every serving host needs it. The command line turns it off for its short-lived commands.
    /// </summary>
    public bool ListenForCatalogChanges { get; set; } = true;

    /// <summary>Called with each thing the database's start-up repaired or changed (a stale pid file, a taken port), one line each.</summary>
    public Action<string>? OnNotice { get; set; }

    /// <summary>An installation the host opened itself and keeps closing itself (the command line, tests).</summary>
    internal TenantRagDatabase? Database { get; set; }
}
