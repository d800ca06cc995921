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
        if (report.Questions is { Count: > 0 } questions)
        {
            PrintQuestions(report, questions);
        }

        if (report.Grid is { } grid)
        {
            PrintGrid(grid);
        }

        Line($"  {"cross-tenant results",-22} {report.CrossTenantResults}{(report.PerTenant ? string.Empty : " (one tenant: use --tenants to test isolation)")}");
        Line($"  {"query latency",-22} p50 {report.QueryLatencyMs.P50:F1} ms, p95 {report.QueryLatencyMs.P95:F1} ms (query embedding included)");
        if (report.QueryStagesMsP50.Count > 0)
        {
            var stages = string.Join(", ", report.QueryStagesMsP50.Select(s => FormattableString.Invariant($"{s.Key} {s.Value:F1}")));
            Line($"  {"stage medians (ms)",-22} {stages} (embedding overlaps the database work)");
        }

        Line($"  {"ingestion",-22} {ingested}{(ingest.DocumentsRefused > 0 ? $"; {ingest.DocumentsRefused} pages refused as only redirecting" : string.Empty)}");
        if (report.EmbeddingSample == 0)
        {
            Line($"  {"embedding alone",-22} not measured (--quick)");
        }
        else
        {
            Line($"  {"embedding alone",-22} {report.EmbeddingOnlyChunksPerSecond:F1} chunks/s on {report.EmbeddingSample} chunk texts{ratio}");
        }
    }

    /// <summary>The question set's figures, and the questions whose page missed the top 3 or whose answer missed the key fact.</summary>
    private static void PrintQuestions(EvaluationReport report, IReadOnlyList<QuestionResult> questions)
    {
        var n = questions.Count;
        Line($"  {"top3 (hit@3)",-22} {report.Top3:F4} ({questions.Count(q => q.Top3)} of {n} questions with a page that answers them in the first 3)");
        if (report.KeyFact is { } keyFact)
        {
            var answered = questions.Count(q => q.Answered == true);
            Line($"  {"key fact stated",-22} {keyFact:F4} ({questions.Count(q => q.KeyFactFound == true)} of {n} answers)");
            Line($"  {"every sentence cited",-22} {report.EverySentenceCited:F4} ({questions.Count(q => q.EverySentenceCited == true)} of {answered} answers given)");
            Line($"  {"not found",-22} {report.NotFound} of {n}");
            Line($"  {"answer latency",-22} p50 {report.AnswerLatencyMs?.P50:F1} ms, p95 {report.AnswerLatencyMs?.P95:F1} ms (as 'ask' without a chat model, its search included)");
        }

        var missed = questions.Where(q => !q.Top3).Select(q => $"{q.Id} ({(q.Rank is { } rank ? $"rank {rank}" : "not in the first 10")})").ToList();
        Line($"  {"no page in top 3",-22} {(missed.Count == 0 ? "none" : string.Join(", ", missed))}");
        if (report.KeyFact is not null)
        {
            var unstated = questions.Where(q => q.KeyFactFound != true).Select(q => q.Answered == true ? q.Id : $"{q.Id} (not found)").ToList();
            Line($"  {"key fact not stated",-22} {(unstated.Count == 0 ? "none" : string.Join(", ", unstated))}");
        }
    }

    /// <summary>Every setting of a fusion grid with its figures, in the order given; the best nDCG@10 marked.</summary>
    private static void PrintGrid(IReadOnlyList<FusionGridPoint> grid)
    {
        var best = grid.Max(p => p.NdcgAt10);
        Line($"  {"fusion grid",-22} {grid.Count} settings on the same queries (the figures above are the first's; no answers made):");
        foreach (var point in grid)
        {
            var settings = string.Join(", ", point.Settings.Select(s => FormattableString.Invariant($"{s.Key} {s.Value}")));
            var top3 = point.Top3 is { } share ? FormattableString.Invariant($", top3 {share:F4}") : string.Empty;
            Line($"    {settings}: nDCG@10 {point.NdcgAt10:F4}, Recall@10 {point.RecallAt10:F4}, MRR@10 {point.MrrAt10:F4}{top3}{(point.NdcgAt10 == best ? "  <- best nDCG@10" : string.Empty)}");
        }
    }

    private static void Line(FormattableString text) => Console.WriteLine(text.ToString(CultureInfo.InvariantCulture));
}
