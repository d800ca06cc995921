using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>How <see cref="RetrievalEvaluator"/> lays the corpus out in tenants and what it measures.</summary>
public sealed class EvaluationOptions
{
    /// <summary>
    /// The tenant the whole corpus goes into, or with <see cref="PerTenant"/> the prefix of the per-tenant slugs
    /// (<c>{prefix}-{tenant}</c>, e.g. <c>scifact-tenant-05</c>). Default <c>scifact</c>.
    /// </summary>
    public string TenantPrefix { get; set; } = "scifact";

    /// <summary>Index every document under its own tenant from the set's tenant file and ask each query in its tenant only.</summary>
    public bool PerTenant { get; set; }

    /// <summary>The tenancy model new tenants are created in; an existing tenant in the other model is an error. Default shared.</summary>
    public TenancyMode Mode { get; set; } = TenancyMode.Shared;

    /// <summary>Delete the evaluation tenants first, so ingestion is measured from scratch. Default false (reuse).</summary>
    public bool Fresh { get; set; }

    /// <summary>The user the evaluation ingests and searches as. Default <c>eval</c>.</summary>
    public string User { get; set; } = "eval";

    /// <summary>How many chunk texts are embedded directly, outside ingestion, to measure the model's raw throughput. Default 256.</summary>
    public int EmbeddingSampleSize { get; set; } = 256;

    /// <summary>
    /// Measure the embedding model alone, before ingestion (and again after it when it embedded anything), to compare
    /// ingestion's throughput with. Default true; false saves that time in runs that only compare quality settings.
    /// </summary>
    public bool MeasureEmbedding { get; set; } = true;

    /// <summary>Throws <see cref="UsageException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (!TenantSlug.TryParse(TenantPrefix, out _))
        {
            throw new UsageException($"tenant prefix '{TenantPrefix}' is not a valid tenant slug ({TenantSlug.Pattern})");
        }

        if (EmbeddingSampleSize < 1)
        {
            throw new UsageException($"the embedding sample size must be at least 1, not {EmbeddingSampleSize}");
        }

        _ = UserId.Parse(User);
    }
}
