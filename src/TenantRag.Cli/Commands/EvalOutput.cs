using System.Globalization;
using TenantRag.Rag.Evaluation;

namespace TenantRag.Cli.Commands;

/// <summary>The human-readable report of <c>tenantrag eval</c>.</summary>
internal static class EvalOutput
{
    public static void Print(EvaluationReport report, string? dataDirectory, int? limit)
    {
        var tenants = report.PerTenant ? $"{report.Tenants.Count} tenants" : $"tenant {report.Tenants[0]}";
        var slice = limit is null ? string.Empty : $" (--limit {limit}: a slice)";
        var ingest = report.Ingest;
        var ingested = ingest.Chunks == 0
            ? $"nothing new ({ingest.DocumentsUnchanged} documents already stored, {ingest.Seconds:F1} s to check); --fresh measures it"
            : $"{ingest.Chunks} chunks ({ingest.ChunksEmbedded} embedded) of {ingest.DocumentsStored} documents in {ingest.Seconds:F1} s: {ingest.ChunksPerSecond:F1} chunks/s";
        var ratio = ingest.Chunks > 0 && report.EmbeddingOnlyChunksPerSecond > 0
            ? $" (ingestion at {ingest.ChunksPerSecond / report.EmbeddingOnlyChunksPerSecond:P0} of it)"
            : string.Empty;
        var settings = string.Join(", ", report.RetrieverSettings.Select(s => FormattableString.Invariant($"{s.Key} {s.Value}")));
        Line($"eval of {dataDirectory}{slice}: {report.Split} split, {report.Retriever} retriever ({settings}), {tenants} ({report.Mode})");
        Line($"  {"queries",-22} {report.Queries} over {report.Documents} documents");
        Line($"  {"nDCG@10",-22} {report.NdcgAt10:F4}");
        Line($"  {"Recall@10",-22} {report.RecallAt10:F4}");
        Line($"  {"MRR@10",-22} {report.MrrAt10:F4}");
        Line($"  {"cross-tenant results",-22} {report.CrossTenantResults}{(report.PerTenant ? string.Empty : " (one tenant: use --tenants to test isolation)")}");
        Line($"  {"query latency",-22} p50 {report.QueryLatencyMs.P50:F1} ms, p95 {report.QueryLatencyMs.P95:F1} ms (query embedding included)");
        if (report.QueryStagesMsP50.Count > 0)
        {
            var stages = string.Join(", ", report.QueryStagesMsP50.Select(s => FormattableString.Invariant($"{s.Key} {s.Value:F1}")));
            Line($"  {"stage medians (ms)",-22} {stages} (embedding overlaps the database work)");
        }

        Line($"  {"ingestion",-22} {ingested}");
        Line($"  {"embedding alone",-22} {report.EmbeddingOnlyChunksPerSecond:F1} chunks/s on {report.EmbeddingSample} chunk texts{ratio}");
    }

    private static void Line(FormattableString text) => Console.WriteLine(text.ToString(CultureInfo.InvariantCulture));
}
