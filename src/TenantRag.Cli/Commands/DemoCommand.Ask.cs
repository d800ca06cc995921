using System.Globalization;
using Spectre.Console;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary>The demo's last step: what the isolation is for, a search and an answer with citations.</summary>
internal static partial class DemoCommand
{
    /// <summary>The question bob of acme asks at the end of the demo.</summary>
    internal const string Question = "How do I book a flight?";

    private const string TravelPolicy = """
        # Acme travel policy

        Book every flight through the Acme travel portal at least two weeks before you leave.

        Economy class is the rule for flights under six hours; business class needs a director's approval.

        Hotels are refunded up to 180 euros a night.
        """;

    // Alice's policy goes through the real ingestion pipeline (chunked and embedded), then bob searches and asks:
    // both see only what acme's users may see (alice's private salary review is never a candidate).
    private static async Task<object> SearchAndAskAsync(CliHost host, TenantSlug acme, Action<string> say, CancellationToken ct)
    {
        var pipeline = host.Get<IngestionPipeline>();
        await pipeline.IngestAsync(new IngestionRequest
        {
            Context = TenantContext.For(acme, UserId.Parse("alice")),
            Inputs = [IngestionInput.FromText("Acme travel policy", TravelPolicy, "travel-policy.md")],
            Visibility = DocumentVisibility.Tenant,
        }, cancellationToken: ct).ConfigureAwait(false);

        var bob = TenantContext.For(acme, UserId.Parse("bob"));
        var search = host.Get<SearchService>();
        var found = await search.SearchAsync(bob, Question, 3, RetrievalOptions.Default, ct).ConfigureAwait(false);
        say($"\n[bold]5. Search and ask[/]: alice adds the Acme travel policy (chunked and embedded), and bob of acme searches for \"{Markup.Escape(Question)}\":");
        foreach (var hit in found.Hits)
        {
            say(string.Create(CultureInfo.InvariantCulture, $"   {hit.Rank}. {hit.Score:F4}  {Markup.Escape(hit.Chunk.DocumentTitle)} (part {hit.Chunk.Ordinal + 1})"));
        }

        // Extractive (the best supporting sentences): the demo needs no chat model; 'tenantrag ask' uses one when configured.
        var answer = await new AnswerService(search).AskAsync(bob, Question, 3, ct).ConfigureAwait(false);
        say("   bob asks the same and gets an answer with its sources:");
        say($"   [italic]{Markup.Escape(answer.IsAnswered ? answer.Text : $"no answer: {answer.NoAnswerReason}")}[/]");
        foreach (var citation in answer.Citations)
        {
            say($"   [grey][[{citation.Number}]] {Markup.Escape(citation.DocumentTitle)} (part {citation.ChunkOrdinal + 1})[/]");
        }

        return new
        {
            question = Question,
            results = found.Hits.Select(h => new { rank = h.Rank, score = h.Score, documentTitle = h.Chunk.DocumentTitle }),
            answer = answer.Text,
            citations = answer.Citations.Select(c => new { number = c.Number, documentTitle = c.DocumentTitle, documentId = c.DocumentId }),
        };
    }

    // The embedded cluster outlives the command (the next command finds it running): say so, and how to stop it.
    private static string StillRunning(TenantRagDatabase database) => CliContext.IsExternal
        ? $"PostgreSQL at {database.Installation.Endpoint.Host}:{database.Installation.Endpoint.Port} keeps running: it is TENANTRAG_DATABASE_URL's server, not tenantrag's to stop."
        : $"PostgreSQL keeps running in the background on port {database.Installation.Endpoint.Port}: stop it with ./tenantrag db stop (the next command starts it again).";
}
