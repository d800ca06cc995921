using System.CommandLine;
using System.Globalization;
using System.Text;
using TenantRag.Postgres.Documents;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag search</c> and <c>tenantrag ask</c>.</summary>
internal static class SearchCommands
{
    /// <summary>The user the command line acts as unless told otherwise (the same as <c>ingest</c>).</summary>
    public const string DefaultUser = "cli";

    private const int SnippetLength = 240;

    public static Command CreateSearch()
    {
        var tenant = new Argument<string>("tenant") { Description = "The tenant's slug" };
        var query = new Argument<string>("query") { Description = $"What to search for (at most {SearchLimits.MaxQueryLength} characters)" };
        var user = UserOption();
        var k = new Option<int>("--k") { Description = $"How many chunks (1-{SearchLimits.MaxResults})", DefaultValueFactory = _ => 10 };
        var retriever = new Option<string>("--retriever") { Description = "hybrid (vector and full-text, fused), vector or lexical", DefaultValueFactory = _ => "hybrid" };
        var search = new Command("search", "Ranked chunks with scores, among those the user may see") { tenant, query, user, k, retriever };
        search.SetAction(CliContext.Action(cli => SearchAsync(
            cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(query), cli.Parse.GetValue(user), cli.Parse.GetValue(k), cli.Parse.GetValue(retriever))));
        return search;
    }

    public static Command CreateAsk()
    {
        var tenant = new Argument<string>("tenant") { Description = "The tenant's slug" };
        var question = new Argument<string>("question") { Description = $"The question (at most {SearchLimits.MaxQueryLength} characters)" };
        var user = UserOption();
        var k = new Option<int>("--k") { Description = $"How many chunks to answer from (1-{SearchLimits.MaxResults})", DefaultValueFactory = _ => 5 };
        var ask = new Command("ask", $"An answer with numbered citations: generated when {ChatEndpointOptions.UrlVariable} and {ChatEndpointOptions.ModelVariable} name a chat model, otherwise the best supporting sentences")
        {
            tenant, question, user, k,
        };
        ask.SetAction(CliContext.Action(cli => AskAsync(cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(question), cli.Parse.GetValue(user), cli.Parse.GetValue(k))));
        return ask;
    }

    internal static Option<string> UserOption() =>
        new("--user") { Description = "The user inside the tenant (sees the tenant's documents and their own private ones)", DefaultValueFactory = _ => DefaultUser };

    private static async Task<int> SearchAsync(CliContext cli, string? tenantText, string? queryText, string? userText, int k, string? retrieverText)
    {
        // Validate everything before touching the database or loading the model: bad usage changes nothing (exit 2).
        var context = TenantContext.For(TenantSlug.Parse(tenantText), UserId.Parse(userText));
        var query = SearchLimits.ValidateQuery(queryText);
        SearchLimits.ValidateCount(k);
        var options = RetrievalOptions.Default with { Retriever = RetrieverKinds.Parse(retrieverText) };

        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var service = host.Get<SearchService>();
        var result = await service.SearchAsync(context, query, k, options, cli.CancellationToken).ConfigureAwait(false);

        // Counted (committed) before it is printed, as the HTTP API counts before it answers: a query of the tenant is
        // metered and draws on its queries-per-day quota whoever asks it.
        await host.Get<UsageStore>().RecordQueryAsync(context, host.Get<ITokenCounter>().CountTokens(result.Query), 0, cli.CancellationToken).ConfigureAwait(false);

        if (cli.Json)
        {
            CliContext.WriteJson(new
            {
                tenant = context.Tenant.Value,
                user = context.User.Value,
                query = result.Query,
                retriever = result.Retriever.ToName(),
                results = result.Hits.Select(h => new
                {
                    rank = h.Rank,
                    score = h.Score,
                    chunkId = h.Chunk.Id,
                    documentId = h.Chunk.DocumentId,
                    documentTitle = h.Chunk.DocumentTitle,
                    externalId = h.Chunk.ExternalId,
                    ordinal = h.Chunk.Ordinal,
                    heading = h.Chunk.Heading,
                    visibility = h.Chunk.Visibility.ToString().ToLowerInvariant(),
                    vectorScore = h.VectorScore,
                    vectorRank = h.VectorRank,
                    lexicalScore = h.LexicalScore,
                    lexicalRank = h.LexicalRank,
                    content = h.Chunk.Content,
                }),
                timingsMs = Timings(result.Timings),
            });
            return 0;
        }

        if (result.Hits.Count == 0)
        {
            Console.WriteLine($"no results in tenant {context.Tenant} for user {context.User} ({result.Retriever.ToName()}, {result.Timings.TotalMs:F0} ms)");
            return 0;
        }

        foreach (var hit in result.Hits)
        {
            var evidence = new List<string>();
            if (hit.VectorRank is { } vr)
            {
                evidence.Add(string.Create(CultureInfo.InvariantCulture, $"vector #{vr} {hit.VectorScore:F3}"));
            }

            if (hit.LexicalRank is { } lr)
            {
                evidence.Add(string.Create(CultureInfo.InvariantCulture, $"lexical #{lr} {hit.LexicalScore:F3}"));
            }

            var privateMark = hit.Chunk.Visibility == Documents.DocumentVisibility.Private ? " [private]" : string.Empty;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{hit.Rank,3}. {hit.Score:F4}  {Printable(hit.Chunk.DocumentTitle)} (part {hit.Chunk.Ordinal + 1}){privateMark}  [{string.Join(", ", evidence)}]"));
            Console.WriteLine($"     {Snippet(hit.Chunk.Content)}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Hits.Count} results ({result.Retriever.ToName()}) in {result.Timings.TotalMs:F1} ms (embedding {result.Timings.EmbeddingMs:F1}, full-text {result.Timings.LexicalMs:F1}, vector {result.Timings.VectorMs:F1})"));
        return 0;
    }

    private static async Task<int> AskAsync(CliContext cli, string? tenantText, string? questionText, string? userText, int k)
    {
        var context = TenantContext.For(TenantSlug.Parse(tenantText), UserId.Parse(userText));
        var question = SearchLimits.ValidateQuery(questionText, "question");
        SearchLimits.ValidateCount(k);

        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var service = host.Get<AnswerService>();

        Answer? answer = null;
        var streamed = false;
        await foreach (var update in service.AskStreamingAsync(context, question, k, cli.CancellationToken).ConfigureAwait(false))
        {
            if (update.Text is { } piece && !cli.Json)
            {
                Console.Write(Printable(piece, keepLineBreaks: true));
                streamed = true;
            }

            answer = update.Completed ?? answer;
        }

        if (answer is null)
        {
            throw new TenantRagException("the answer ended before it was complete: try again");
        }

        // Counted once complete, before the citations are printed (a streamed answer's text is already out): the
        // question's tokens were embedded, a chat model's answer is counted in the tokens it wrote.
        var tokens = host.Get<ITokenCounter>();
        await host.Get<UsageStore>().RecordQueryAsync(context, tokens.CountTokens(question),
            answer.Mode == AnswerMode.Generated ? tokens.CountTokens(answer.Text) : 0, cli.CancellationToken).ConfigureAwait(false);

        if (cli.Json)
        {
            CliContext.WriteJson(new
            {
                tenant = context.Tenant.Value,
                user = context.User.Value,
                question = answer.Question,
                answered = answer.IsAnswered,
                mode = answer.Mode.ToString().ToLowerInvariant(),
                text = answer.Text,
                noAnswerReason = answer.NoAnswerReason,
                citations = answer.Citations.Select(c => new
                {
                    number = c.Number,
                    documentTitle = c.DocumentTitle,
                    documentId = c.DocumentId,
                    externalId = c.ExternalId,
                    chunkOrdinal = c.ChunkOrdinal,
                    chunkId = c.ChunkId,
                }),
                elapsedMs = answer.ElapsedMs,
            });
            return 0;
        }

        if (!answer.IsAnswered)
        {
            Console.WriteLine($"no answer: {answer.NoAnswerReason}");
            return 0;
        }

        if (streamed)
        {
            Console.WriteLine();
        }

        Console.WriteLine();
        Console.WriteLine(answer.Citations.Count == 0 ? "(the answer cites no source)" : "Sources:");
        foreach (var citation in answer.Citations)
        {
            var external = citation.ExternalId is null ? string.Empty : $", id {citation.ExternalId}";
            Console.WriteLine($"  [{citation.Number}] {Printable(citation.DocumentTitle)} (part {citation.ChunkOrdinal + 1}; document {citation.DocumentId}{external})");
        }

        return 0;
    }

    private static object Timings(SearchTimings t) => new { total = t.TotalMs, embedding = t.EmbeddingMs, lexical = t.LexicalMs, vector = t.VectorMs, fetch = t.FetchMs };

    // Document text and titles come from uploaded files: an ESC or other control character printed as it is could drive
    // the terminal (move the cursor, rewrite earlier lines, set the window title). They are shown as U+FFFD instead.
    internal static string Printable(string text, bool keepLineBreaks = false)
    {
        if (!text.Any(c => char.IsControl(c) && !(keepLineBreaks && c is '\n' or '\t')))
        {
            return text;
        }

        return string.Create(text.Length, (text, keepLineBreaks), static (span, state) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = state.text[i];
                span[i] = char.IsControl(c) && !(state.keepLineBreaks && c is '\n' or '\t') ? '\uFFFD' : c;
            }
        });
    }

    private static string Snippet(string content)
    {
        var builder = new StringBuilder(SnippetLength + 1);
        var space = false;
        foreach (var c in content)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
            if (builder.Length >= SnippetLength)
            {
                return builder.Append('…').ToString();
            }
        }

        return builder.ToString();
    }
}
