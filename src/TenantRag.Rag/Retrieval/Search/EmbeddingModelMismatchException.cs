using System.Globalization;
using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// The tenant's stored vectors were made with another embedding model (name or dimensions) than the one that embeds
/// queries, so similarities would be meaningless. The message names both models and the command that re-embeds.
/// </summary>
public sealed class EmbeddingModelMismatchException : TenantRagException
{
    /// <summary>Creates the error.</summary>
    /// <param name="tenant">The tenant searched.</param>
    /// <param name="queryModel">The model that embeds queries.</param>
    /// <param name="storedModels">The models of the tenant's visible vectors, with chunk counts.</param>
    public EmbeddingModelMismatchException(TenantSlug tenant, EmbeddingModel queryModel, IReadOnlyList<(EmbeddingModel Model, long Chunks)> storedModels)
        : base(BuildMessage(tenant, queryModel, storedModels))
    {
        Tenant = tenant;
        QueryModel = queryModel;
        StoredModels = storedModels;
    }

    /// <summary>The command that re-embeds every chunk of <paramref name="tenant"/> with the configured model.</summary>
    public static string ReembedCommand(TenantSlug tenant) => $"tenantrag reembed {tenant}";

    /// <summary>The tenant searched.</summary>
    public TenantSlug Tenant { get; }

    /// <summary>The model that embeds queries.</summary>
    public EmbeddingModel QueryModel { get; }

    /// <summary>The models the tenant's visible vectors were made with, most chunks first.</summary>
    public IReadOnlyList<(EmbeddingModel Model, long Chunks)> StoredModels { get; }

    private static string BuildMessage(TenantSlug tenant, EmbeddingModel queryModel, IReadOnlyList<(EmbeddingModel Model, long Chunks)> storedModels)
    {
        ArgumentNullException.ThrowIfNull(storedModels);
        var stored = string.Join(", ", storedModels
            .Where(m => m.Model != queryModel)
            .Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Model} for {m.Chunks} chunks")));
        return $"tenant '{tenant}' has vectors made with {stored}, but queries are embedded with {queryModel}: "
            + $"run '{ReembedCommand(tenant)}' to re-embed its chunks with {queryModel.Name}, or configure the model the vectors were made with";
    }
}
