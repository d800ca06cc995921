using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using TenantRag.Postgres;
using TenantRag.Postgres.Documents;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Server.Tenancy;

namespace TenantRag.Server.Api;

/// <summary><c>POST /v1/search</c> and <c>POST /v1/ask</c> (server-sent events when the client accepts <c>text/event-stream</c>).</summary>
internal static class SearchApi
{
    public sealed record SearchRequest(string? Query, int? K, string? Retriever);

    public sealed record AskRequest(string? Question, int? K);

    // A passage is named by its document and its place in it (chunk ordinal), never by the database's chunk id: in the
    // shared database those come from one sequence, so they would let a tenant count every other tenant's writes.
    public sealed record HitResponse(int Rank, double Score, Guid DocumentId, string DocumentTitle, int Chunk, string Heading, string Content, string Visibility);

    public sealed record SearchResponse(string Query, string Retriever, HitResponse[] Hits, double ElapsedMs);

    // The passage is the cited chunk's text, so a client can show it marked within GET /v1/documents/{id}/content.
    public sealed record CitationResponse(int Number, string DocumentTitle, Guid DocumentId, int Chunk, string Passage);

    public sealed record AnswerResponse(string Question, string Text, bool Answered, string Mode, string? NoAnswerReason, CitationResponse[] Citations, double ElapsedMs);

    public static void MapSearchApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/search", SearchAsync).WithTags("Search").WithSummary("The chunks that best match a query, among those the caller may see");
        v1.MapPost("/ask", AskAsync).WithTags("Search").WithSummary("An answer to a question with numbered citations, as JSON or streamed as server-sent events")
            .Produces<AnswerResponse>(StatusCodes.Status200OK, "application/json", "text/event-stream");
    }

    // Every answered query is counted (one usage event, committed) before its answer is sent: a client that got an answer
    // was billed for it exactly once, whatever happens to the process after.
    private static async Task<Ok<SearchResponse>> SearchAsync(SearchRequest request, HttpContext http, SearchService search, UsageStore usage, ITokenCounter tokens)
    {
        var context = http.Tenant();
        var options = request.Retriever is null ? null : search.Defaults with { Retriever = RetrieverKinds.Parse(request.Retriever) };
        var result = await search.SearchAsync(context, request.Query ?? string.Empty, request.K ?? 10, options, http.RequestAborted).ConfigureAwait(false);
        await usage.RecordQueryAsync(context, tokens.CountTokens(result.Query), 0, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(new SearchResponse(result.Query, result.Retriever.ToName(),
            [.. result.Hits.Select(h => new HitResponse(h.Rank, h.Score, h.Chunk.DocumentId, h.Chunk.DocumentTitle, h.Chunk.Ordinal, h.Chunk.Heading, h.Chunk.Content, h.Chunk.Visibility.ToString().ToLowerInvariant()))],
            result.Timings.TotalMs));
    }

    private static async Task<IResult> AskAsync(AskRequest request, HttpContext http, AnswerService answers, UsageStore usage, ITokenCounter tokens)
    {
        var context = http.Tenant();
        var question = SearchLimits.ValidateQuery(request.Question, "question");
        var k = SearchLimits.ValidateCount(request.K ?? 5);

        // The question's tokens were embedded; a chat model's answer is counted in the tokens it wrote (an extractive
        // answer quotes the documents: nothing generated).
        Task CountAsync(Answer answer) => usage.RecordQueryAsync(context, tokens.CountTokens(question),
            answer.Mode == AnswerMode.Generated ? tokens.CountTokens(answer.Text) : 0, http.RequestAborted);
        var wantsStream = http.Request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));
        if (!wantsStream)
        {
            var answer = await answers.AskAsync(context, question, k, http.RequestAborted).ConfigureAwait(false);
            await CountAsync(answer).ConfigureAwait(false);
            return TypedResults.Ok(ToResponse(answer));
        }

        http.Response.Headers[HeaderNames.CacheControl] = "no-cache";

        // The first update (the citations) is taken before the stream starts: a question over the tenant's quota of
        // queries is refused before it, with its status (429) and Retry-After, which no event could carry.
        var enumerator = answers.AskStreamingAsync(context, question, k, http.RequestAborted).GetAsyncEnumerator(http.RequestAborted);
        bool first;
        try
        {
            first = await enumerator.MoveNextAsync().ConfigureAwait(false);
        }
        catch (QuotaExceededException)
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        catch (TenantRagException ex)
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            return TypedResults.ServerSentEvents(ErrorAsync(ex));
        }

        return TypedResults.ServerSentEvents(StreamAsync(enumerator, first, CountAsync));
    }

    private static async IAsyncEnumerable<SseItem<object>> ErrorAsync(TenantRagException ex)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield return Error(ex);
    }

    private static SseItem<object> Error(TenantRagException ex) =>
        new(new ProblemDetails { Status = 400, Title = "Cannot answer", Detail = ex.Message }, "error");

    // Events: "citations" (the numbered sources), "delta" (a piece of text), "answer" (the finished answer, sent once it
    // is counted), or "error" (a problem, once the stream has started and a status code can no longer say it). The
    // enumerator has moved once already (<paramref name="first"/>: whether that found an update).
    private static async IAsyncEnumerable<SseItem<object>> StreamAsync(IAsyncEnumerator<AnswerUpdate> enumerator, bool first, Func<Answer, Task> count)
    {
        await using var owned = enumerator;
        var primed = true;
        while (true)
        {
            SseItem<object>? item;
            bool more;
            try
            {
                more = primed ? first : await enumerator.MoveNextAsync().ConfigureAwait(false);
                primed = false;
                if (more && enumerator.Current.Completed is { } answer)
                {
                    await count(answer).ConfigureAwait(false);
                }

                item = more ? ToEvent(enumerator.Current) : null;
            }
            catch (TenantRagException ex)
            {
                more = false;
                item = Error(ex);
            }

            if (item is { } value)
            {
                yield return value;
            }

            if (!more)
            {
                yield break;
            }
        }
    }

    private static SseItem<object> ToEvent(AnswerUpdate update) => update switch
    {
        { Completed: { } answer } => new SseItem<object>(ToResponse(answer), "answer"),
        { Sources: { } sources } => new SseItem<object>(sources.Select(ToResponse).ToArray(), "citations"),
        _ => new SseItem<object>(new { text = update.Text ?? string.Empty }, "delta"),
    };

    private static CitationResponse ToResponse(Citation c) => new(c.Number, c.DocumentTitle, c.DocumentId, c.ChunkOrdinal, c.Passage);

    private static AnswerResponse ToResponse(Answer a) =>
        new(a.Question, a.Text, a.IsAnswered, a.Mode.ToString().ToLowerInvariant(), a.NoAnswerReason, [.. a.Citations.Select(ToResponse)], a.ElapsedMs);
}
