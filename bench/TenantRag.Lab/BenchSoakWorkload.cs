using System.Globalization;
using System.Text.Json;
using TenantRag.Documents;

namespace TenantRag.Lab;

/// <summary>
/// The operations of <c>tenantrag bench soak</c> through the HTTP API, each checked as its answer arrives: ingest (then
/// find the new document in the owner's listing), delete an own document, search, ask (JSON or server-sent events),
/// list, and GET or DELETE of an id the caller may or must not see.
/// </summary>
internal sealed class BenchSoakWorkload(BenchSoakClient client, BenchSoakLedger ledger, BenchSoakChecks checks,
    IReadOnlyList<BenchSoakCaller> callers, IReadOnlyList<string> snippets, IReadOnlyList<string> queries, int maxIngests) : IDisposable
{
    private static readonly int[] Created = [201];
    private static readonly int[] Ok = [200];
    private static readonly int[] OkOrMissing = [200, 404];
    private static readonly int[] NoContent = [204];
    private static readonly int[] NoContentOrMissing = [204, 404];
    private static readonly string[] Retrievers = ["hybrid", "vector", "lexical"];

    private readonly SemaphoreSlim _ingests = new(maxIngests, maxIngests);
    private readonly IReadOnlyList<string> _tenants = [.. callers.Select(c => c.Tenant).Distinct(StringComparer.Ordinal)];

    /// <summary>The checks every answer goes through.</summary>
    public BenchSoakChecks Checks => checks;

    /// <summary>The documents and the clock.</summary>
    public BenchSoakLedger Ledger => ledger;

    /// <summary>The tenants, each once.</summary>
    public IReadOnlyList<string> Tenants => _tenants;

    /// <summary>
    /// Ingests a new small document as <paramref name="caller"/>; when no ingestion slot is free, searches instead
    /// (ingestion is CPU-bound: a few at a time on a small machine).
    /// </summary>
    public async Task IngestAsync(BenchSoakCaller caller, string visibility, Random random, CancellationToken ct)
    {
        if (!await _ingests.WaitAsync(0, ct).ConfigureAwait(false))
        {
            await SearchAsync(caller, random, ct).ConfigureAwait(false);
            return;
        }

        try
        {
            await IngestNowAsync(caller, visibility, random, ct).ConfigureAwait(false);
        }
        finally
        {
            _ingests.Release();
        }
    }

    /// <summary>Ingests, waiting for a slot; returns whether the write was acknowledged and found.</summary>
    public async Task<bool> IngestWaitingAsync(BenchSoakCaller caller, string visibility, Random random, CancellationToken ct)
    {
        await _ingests.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await IngestNowAsync(caller, visibility, random, ct).ConfigureAwait(false);
        }
        finally
        {
            _ingests.Release();
        }
    }

    private async Task<bool> IngestNowAsync(BenchSoakCaller caller, string visibility, Random random, CancellationToken ct)
    {
        var marker = new BenchSoakMarker(caller.Tenant, caller.User, visibility, ledger.NextSerial());
        var title = marker.Title;
        var text = $"{marker} {snippets[random.Next(snippets.Count)]} {marker}";
        var response = await client.SendAsync("ingest", caller, HttpMethod.Post, "v1/documents", new { title, text, visibility }, Created, cancellationToken: ct).ConfigureAwait(false);
        if (response.Status != 201)
        {
            if (response.Status is >= 400 and < 500)
            {
                ledger.Refused(title);
            }
            else
            {
                ledger.Unanswered(title);
            }

            return false;
        }

        // The response has no id: the owner's listing must show the new document (read your own write).
        var acknowledged = ledger.Tick();
        var listed = await ListAsync(caller, ct).ConfigureAwait(false);
        if (listed is null)
        {
            ledger.Unanswered(title);
            return false;
        }

        if (listed.FirstOrDefault(d => d.Title == title) is not { } found)
        {
            checks.LostWrite(title, $"ingest: {caller.Tenant}/{caller.User} got 201 for '{title}' but its listing right after does not have it");
            return false;
        }

        ledger.Add(new BenchSoakDocument(found.Id, marker, acknowledged, fromThisRun: true));
        return true;
    }

    /// <summary>Deletes one of the caller's own live documents (ingests when it has none).</summary>
    public async Task DeleteOwnAsync(BenchSoakCaller caller, Random random, CancellationToken ct)
    {
        if (ledger.ClaimOwn(caller, random) is not { } document)
        {
            await IngestAsync(caller, RandomVisibility(random), random, ct).ConfigureAwait(false);
            return;
        }

        var response = await client.SendAsync("delete", caller, HttpMethod.Delete, $"v1/documents/{document.Id}", null, NoContent, cancellationToken: ct).ConfigureAwait(false);
        switch (response.Status)
        {
            case 204:
                ledger.Deleted(document);
                break;
            case 429:
                ledger.Unclaim(document);
                break;
            case 404:
                checks.LostWrite(document.Id.ToString(), $"delete: {caller.Tenant}/{caller.User} got 404 deleting its own document {document.Id} ({document.Marker}), acknowledged and never deleted");
                ledger.Unsure(document);
                break;
            default:
                ledger.Unsure(document);
                break;
        }
    }

    /// <summary>Searches with a corpus query, or with words aimed at another tenant's or user's documents.</summary>
    public async Task SearchAsync(BenchSoakCaller caller, Random random, CancellationToken ct)
    {
        var query = Query(caller, random);
        var body = new { query, k = random.Next(3, 11), retriever = Retrievers[random.Next(Retrievers.Length)] };
        var start = ledger.Tick();
        var response = await client.SendAsync("search", caller, HttpMethod.Post, "v1/search", body, Ok, cancellationToken: ct).ConfigureAwait(false);
        if (response.Status == 200)
        {
            foreach (var hit in Array(response.Json(), "hits"))
            {
                checks.Result(caller, "search", Text(hit, "documentTitle"), Id(hit, "documentId"), Text(hit, "visibility"), text: Text(hit, "content"));
                checks.NotDeleted(caller, "search", Id(hit, "documentId"), start);
            }
        }
    }

    /// <summary>Asks a question; one in three as server-sent events.</summary>
    public async Task AskAsync(BenchSoakCaller caller, Random random, CancellationToken ct)
    {
        var streamed = random.Next(3) == 0;
        var operation = streamed ? "ask-stream" : "ask";
        var body = new { question = Query(caller, random), k = random.Next(2, 6) };
        var start = ledger.Tick();
        var response = await client.SendAsync(operation, caller, HttpMethod.Post, "v1/ask", body, Ok, streamed, ct).ConfigureAwait(false);
        if (response.Status != 200)
        {
            return;
        }

        if (!streamed)
        {
            Answer(caller, operation, response.Json(), start);
            return;
        }

        var answered = false;
        foreach (var (name, data) in BenchSoakClient.Events(response.Body))
        {
            using var json = JsonDocument.Parse(data);
            switch (name)
            {
                case "citations":
                    Citations(caller, operation, json.RootElement.EnumerateArray(), start);
                    break;
                case "answer":
                    Answer(caller, operation, json.RootElement, start);
                    answered = true;
                    break;
                case "delta":
                    checks.Text(caller, operation, Text(json.RootElement, "text") ?? string.Empty);
                    break;
                default:
                    break;
            }
        }

        if (!answered)
        {
            // The stream started with 200 but ended without an answer (an "error" event): a failure a status cannot show.
            client.Counts.Record(operation, "stream-without-answer", expected: false);
        }
    }

    /// <summary>GET of a live document the caller may see: 200, or 404 only if it raced with its delete.</summary>
    public async Task GetVisibleAsync(BenchSoakCaller caller, Random random, CancellationToken ct)
    {
        if (ledger.PickVisible(caller, random) is not { } document)
        {
            await SearchAsync(caller, random, ct).ConfigureAwait(false);
            return;
        }

        var start = ledger.Tick();
        var response = await client.SendAsync("get", caller, HttpMethod.Get, $"v1/documents/{document.Id}", null, OkOrMissing, cancellationToken: ct).ConfigureAwait(false);
        var end = ledger.Tick();
        if (response.Status == 200)
        {
            var json = response.Json();
            checks.Result(caller, "get", Text(json, "title"), Id(json, "id"), Text(json, "visibility"), Text(json, "owner"));
        }
        else if (response.Status == 404)
        {
            checks.MissingVisible(caller, document, start, end);
        }
    }

    /// <summary>GET of another tenant's document or a colleague's private one (live or deleted): must be 404.</summary>
    public Task GetForeignAsync(BenchSoakCaller caller, Random random, CancellationToken ct) =>
        ProbeForeignAsync(caller, HttpMethod.Get, random, ct);

    /// <summary>DELETE of another tenant's document or a colleague's private one: must be 404 and change nothing.</summary>
    public Task DeleteForeignAsync(BenchSoakCaller caller, Random random, CancellationToken ct) =>
        ProbeForeignAsync(caller, HttpMethod.Delete, random, ct);

    private async Task ProbeForeignAsync(BenchSoakCaller caller, HttpMethod method, Random random, CancellationToken ct)
    {
        if (ledger.PickForeign(caller, _tenants, random) is not { } document)
        {
            await SearchAsync(caller, random, ct).ConfigureAwait(false);
            return;
        }

        var delete = method == HttpMethod.Delete;
        var response = await client.SendAsync(delete ? "delete-foreign" : "get-foreign", caller, method, $"v1/documents/{document.Id}", null,
            delete ? NoContentOrMissing : OkOrMissing, cancellationToken: ct).ConfigureAwait(false);
        if (response.Status == 200 && !delete)
        {
            checks.ForeignRead(caller, document);
        }
        else if (response.Status == 204 && delete)
        {
            checks.ForeignDelete(caller, document);
            ledger.Unsure(document);
        }
    }

    /// <summary>
    /// The caller's whole listing, every page of it (the largest pages there are, each following the previous one's
    /// cursor), checked as one listing made between the first request and the last answer; null when a page did not
    /// answer 200.
    /// </summary>
    public async Task<IReadOnlyList<BenchSoakListed>?> ListAsync(BenchSoakCaller caller, CancellationToken ct)
    {
        var start = ledger.Tick();
        var items = new List<BenchSoakListed>();
        string? cursor = null;
        do
        {
            var path = $"v1/documents?limit={DocumentListQuery.MaxLimit}" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
            var response = await client.SendAsync("list", caller, HttpMethod.Get, path, null, Ok, cancellationToken: ct).ConfigureAwait(false);
            if (response.Status != 200)
            {
                return null;
            }

            var page = response.Json();
            items.AddRange(Array(page, "documents")
                .Select(d => new BenchSoakListed(Id(d, "id") ?? Guid.Empty, Text(d, "title") ?? string.Empty, Text(d, "owner") ?? string.Empty, Text(d, "visibility") ?? string.Empty)));
            cursor = Text(page, "next");
        }
        while (cursor is not null);

        checks.Listing(caller, items, start, ledger.Tick());
        return items;
    }

    /// <summary>GET of one id as <paramref name="caller"/>, for the final check: the status, or 0 without an answer.</summary>
    public async Task<int> GetStatusAsync(string operation, BenchSoakCaller caller, Guid id, IReadOnlyCollection<int> expected, CancellationToken ct) =>
        (await client.SendAsync(operation, caller, HttpMethod.Get, $"v1/documents/{id}", null, expected, cancellationToken: ct).ConfigureAwait(false)).Status;

    public void Dispose() => _ingests.Dispose();

    public static string RandomVisibility(Random random) => random.Next(2) == 0 ? BenchSoakMarker.TenantVisibility : BenchSoakMarker.PrivateVisibility;

    private void Answer(BenchSoakCaller caller, string operation, JsonElement answer, long start)
    {
        Citations(caller, operation, Array(answer, "citations"), start);
        checks.Text(caller, operation, Text(answer, "text") ?? string.Empty);
    }

    // Sent after instant start: no citation may come from a document whose delete was acknowledged before it.
    private void Citations(BenchSoakCaller caller, string operation, IEnumerable<JsonElement> citations, long start)
    {
        foreach (var citation in citations)
        {
            checks.Result(caller, operation, Text(citation, "documentTitle"), Id(citation, "documentId"));
            checks.NotDeleted(caller, operation, Id(citation, "documentId"), start);
        }
    }

    // Half the queries come from the corpus; the rest name documents the caller must not see outright (the exact title
    // of one, or another tenant's and user's words): what a leak would match best.
    private string Query(BenchSoakCaller caller, Random random)
    {
        var roll = random.Next(4);
        if (roll < 2)
        {
            return queries[random.Next(queries.Count)];
        }

        if (roll == 2 && ledger.PickForeign(caller, _tenants, random) is { } foreign)
        {
            return foreign.Marker.Title;
        }

        var other = callers[random.Next(callers.Count)];
        return other.Tenant == caller.Tenant && other.User == caller.User
            ? $"soak note {other.Tenant} {BenchSoakMarker.PrivateVisibility}"
            : $"soak note SOAKMARK {other.Tenant} {other.User} {BenchSoakMarker.PrivateVisibility} {random.Next(1000).ToString(CultureInfo.InvariantCulture)}";
    }

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    private static string? Text(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static Guid? Id(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value && value.TryGetGuid(out var id) ? id : null;

    // Web defaults are camelCase; accept PascalCase too so that a serializer change shows up as a check, not a crash.
    private static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object
            ? element.TryGetProperty(name, out var value) ? value
            : element.TryGetProperty(char.ToUpperInvariant(name[0]) + name[1..], out value) ? value : null
            : null;
}
