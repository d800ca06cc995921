namespace TenantRag.Rag.Evaluation;

/// <summary>Which queries and judgements of a BEIR-format set to use.</summary>
public enum BeirSplit
{
    /// <summary><c>queries.jsonl</c>, <c>qrels.tsv</c> and <c>queries_tenant.tsv</c>: report on it, never tune on it.</summary>
    Test,

    /// <summary><c>queries_train.jsonl</c>, <c>qrels_train.tsv</c> and <c>queries_tenant_train.tsv</c>: the split to tune on.</summary>
    Train,
}

/// <summary>Names and file names of <see cref="BeirSplit"/>.</summary>
public static class BeirSplits
{
    /// <summary>The corpus file, shared by both splits.</summary>
    public const string CorpusFile = "corpus.jsonl";

    /// <summary>Which tenant each document belongs to, shared by both splits.</summary>
    public const string DocumentTenantsFile = "tenants.tsv";

    /// <summary><c>test</c> or <c>train</c>.</summary>
    public static string ToName(this BeirSplit split) => split switch
    {
        BeirSplit.Test => "test",
        BeirSplit.Train => "train",
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split"),
    };

    /// <summary>Parses <c>test</c> or <c>train</c>; anything else is a usage error.</summary>
    public static BeirSplit Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "test" => BeirSplit.Test,
        "train" => BeirSplit.Train,
        _ => throw new UsageException($"unknown split '{UsageException.Echo(text)}': use --split test or --split train"),
    };

    /// <summary>The queries file of the split.</summary>
    public static string QueriesFile(this BeirSplit split) => split == BeirSplit.Train ? "queries_train.jsonl" : "queries.jsonl";

    /// <summary>The relevance judgements file of the split.</summary>
    public static string QrelsFile(this BeirSplit split) => split == BeirSplit.Train ? "qrels_train.tsv" : "qrels.tsv";

    /// <summary>Which tenant each query of the split is asked in.</summary>
    public static string QueryTenantsFile(this BeirSplit split) => split == BeirSplit.Train ? "queries_tenant_train.tsv" : "queries_tenant.tsv";
}
