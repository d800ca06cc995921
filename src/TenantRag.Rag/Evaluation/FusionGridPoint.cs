using System.Text.Json.Serialization;

namespace TenantRag.Rag.Evaluation;

/// <summary>The quality of one setting of a fusion grid, over the same queries as every other setting of the grid.</summary>
public sealed record FusionGridPoint
{
    /// <summary>The setting (e.g. <c>rrfK</c>, <c>lexicalWeight</c>).</summary>
    public required IReadOnlyDictionary<string, double> Settings { get; init; }

    /// <summary>Mean nDCG@10.</summary>
    public required double NdcgAt10 { get; init; }

    /// <summary>Mean Recall@10.</summary>
    public required double RecallAt10 { get; init; }

    /// <summary>Mean reciprocal rank within the first 10.</summary>
    public required double MrrAt10 { get; init; }

    /// <summary>Question sets: share of the questions with a page that answers them among the first three.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Top3 { get; init; }
}
