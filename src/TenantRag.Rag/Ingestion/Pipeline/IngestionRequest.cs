using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>What to ingest, for whom, and who may see it.</summary>
public sealed record IngestionRequest
{
    /// <summary>The tenant and the user who will own the documents (validated at the edge).</summary>
    public required TenantContext Context { get; init; }

    /// <summary>The files, in the order they are read.</summary>
    public required IReadOnlyList<IngestionInput> Inputs { get; init; }

    /// <summary>Who inside the tenant may see the documents (default: every user of the tenant).</summary>
    public DocumentVisibility Visibility { get; init; } = DocumentVisibility.Tenant;

    /// <summary>A request for files and directories on disk (see <see cref="IngestionInput.FromPaths"/>).</summary>
    /// <exception cref="UsageException">A path does not exist.</exception>
    public static IngestionRequest FromPaths(TenantContext context, IEnumerable<string> paths, DocumentVisibility visibility = DocumentVisibility.Tenant)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new IngestionRequest { Context = context, Inputs = IngestionInput.FromPaths(paths), Visibility = visibility };
    }
}
