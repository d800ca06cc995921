using System.Collections.Concurrent;

namespace TenantRag.Lab;

/// <summary>
/// The soak's invariants, checked on every answer against the caller and the <see cref="BenchSoakLedger"/>: no result
/// of another tenant or of a colleague's private document, no foreign id readable or deletable, every acknowledged write
/// present and every acknowledged delete absent. Counts, and keeps the first few violations to print.
/// </summary>
internal sealed class BenchSoakChecks(BenchSoakLedger ledger)
{
    private const int MaxSamples = 20;

    private readonly ConcurrentQueue<string> _samples = new();
    private readonly ConcurrentDictionary<string, byte> _lost = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, byte> _resurrected = new();
    private readonly ConcurrentDictionary<string, byte> _phantoms = new(StringComparer.Ordinal);
    private long _results;
    private long _textMarkers;
    private long _crossTenant;
    private long _crossUser;
    private long _unmarked;
    private long _mismatched;
    private long _foreignReadable;
    private long _foreignDeletable;

    /// <summary>Results (hits, citations, listed and fetched documents) checked against their caller.</summary>
    public long Results => Interlocked.Read(ref _results);

    /// <summary>Markers found inside returned text (chunk contents, answers), each checked against the caller too.</summary>
    public long TextMarkers => Interlocked.Read(ref _textMarkers);

    /// <summary>Results from another tenant.</summary>
    public long CrossTenant => Interlocked.Read(ref _crossTenant);

    /// <summary>Results from a colleague's private document.</summary>
    public long CrossUser => Interlocked.Read(ref _crossUser);

    /// <summary>Results that carry no soak marker (no soak document wrote them: they came from somewhere else).</summary>
    public long Unmarked => Interlocked.Read(ref _unmarked);

    /// <summary>Results whose parts disagree (title and text, id and title, visibility or owner and marker).</summary>
    public long Mismatched => Interlocked.Read(ref _mismatched);

    /// <summary>Foreign document ids that answered 200 to GET.</summary>
    public long ForeignReadable => Interlocked.Read(ref _foreignReadable);

    /// <summary>Foreign document ids that answered 204 to DELETE.</summary>
    public long ForeignDeletable => Interlocked.Read(ref _foreignDeletable);

    /// <summary>Acknowledged writes not found (distinct documents).</summary>
    public int LostWrites => _lost.Count;

    /// <summary>Acknowledged deletes seen again (distinct documents).</summary>
    public int Resurrected => _resurrected.Count;

    /// <summary>Refused writes whose document exists after all (distinct titles).</summary>
    public int Phantoms => _phantoms.Count;

    /// <summary>Every isolation violation.</summary>
    public long Leaks => CrossTenant + CrossUser + Unmarked + Mismatched + ForeignReadable + ForeignDeletable;

    /// <summary>The first violations, described.</summary>
    public IReadOnlyList<string> Samples => [.. _samples];

    /// <summary>
    /// One returned document or chunk: its title (and text, if any) must carry a marker the caller may see, agree with
    /// the visibility and owner the server reported, and with what the ledger knows of its id.
    /// </summary>
    public void Result(BenchSoakCaller caller, string where, string? title, Guid? documentId, string? visibility = null, string? owner = null, string? text = null)
    {
        Interlocked.Increment(ref _results);
        var marker = BenchSoakMarker.Find(title);
        if (marker is null)
        {
            Violation(ref _unmarked, $"{where}: {caller.Tenant}/{caller.User} got a result without a soak marker (document {documentId}, title '{Shorten(title)}')");
            return;
        }

        Visible(caller, where, marker, documentId);
        if ((visibility is not null && !string.Equals(visibility, marker.Visibility, StringComparison.OrdinalIgnoreCase))
            || (owner is not null && !string.Equals(owner, marker.Owner, StringComparison.Ordinal))
            || (documentId is { } id && ledger.Find(id) is { } known && known.Marker != marker))
        {
            Violation(ref _mismatched, $"{where}: document {documentId} is {marker} by its title but the server said visibility '{visibility}', owner '{owner}'");
        }

        foreach (var inText in BenchSoakMarker.All(text ?? string.Empty))
        {
            Interlocked.Increment(ref _textMarkers);
            Visible(caller, where, inText, documentId);
            if (inText != marker)
            {
                Violation(ref _mismatched, $"{where}: document {documentId} is {marker} by its title but its text carries {inText}");
            }
        }
    }

    /// <summary>
    /// A search hit or citation of a request sent after instant <paramref name="start"/>: its document must not be one
    /// whose delete was acknowledged before (a stale index or cache would show it).
    /// </summary>
    public void NotDeleted(BenchSoakCaller caller, string where, Guid? documentId, long start)
    {
        if (documentId is { } id && ledger.Find(id) is { } known && known.DeletedBefore(start))
        {
            Resurrect(known, $"{where}: {caller.Tenant}/{caller.User} got document {id} ({known.Marker}) after its delete was acknowledged");
        }
    }

    /// <summary>Generated text (an answer): every marker in it must be one the caller may see.</summary>
    public void Text(BenchSoakCaller caller, string where, string text)
    {
        foreach (var marker in BenchSoakMarker.All(text))
        {
            Interlocked.Increment(ref _textMarkers);
            Visible(caller, where, marker, null);
        }
    }

    /// <summary>
    /// The caller's <c>GET /v1/documents</c>, sent after instant <paramref name="start"/> and answered before
    /// <paramref name="end"/>: each item is checked as a result; every document acknowledged before the start, visible to
    /// the caller and not being deleted, must be listed; no document deleted before the start may be.
    /// </summary>
    public void Listing(BenchSoakCaller caller, IReadOnlyList<BenchSoakListed> items, long start, long end)
    {
        var listed = new HashSet<Guid>();
        foreach (var item in items)
        {
            listed.Add(item.Id);
            Result(caller, "list", item.Title, item.Id, item.Visibility, item.Owner);
            if (ledger.Find(item.Id) is { } known && known.DeletedBefore(start))
            {
                Resurrect(known, $"list: {caller.Tenant}/{caller.User} still lists document {known.Id} ({known.Marker}) after its delete was acknowledged");
            }

            if (ledger.WasRefused(item.Title) && _phantoms.TryAdd(item.Title, 0))
            {
                Sample($"list: a write refused with 4xx exists after all: '{item.Title}'");
            }
        }

        foreach (var document in ledger.Documents(caller.Tenant))
        {
            if (document.Marker.VisibleTo(caller.Tenant, caller.User) && document.LiveThroughout(start, end) && !listed.Contains(document.Id))
            {
                Lost(document.Id.ToString(), $"list: {caller.Tenant}/{caller.User} does not list document {document.Id} ({document.Marker}), acknowledged and never deleted");
            }
        }
    }

    /// <summary>GET of a document the caller may see answered 404: a lost write, unless it raced with its delete.</summary>
    public void MissingVisible(BenchSoakCaller caller, BenchSoakDocument document, long start, long end)
    {
        if (document.LiveThroughout(start, end))
        {
            Lost(document.Id.ToString(), $"get: {caller.Tenant}/{caller.User} got 404 for document {document.Id} ({document.Marker}), acknowledged and never deleted");
        }
    }

    /// <summary>GET of a document whose delete was acknowledged answered 200.</summary>
    public void Resurrect(BenchSoakDocument document, string description)
    {
        if (_resurrected.TryAdd(document.Id, 0))
        {
            Sample(description);
        }
    }

    /// <summary>A write acknowledged with 201 that its owner cannot find, by title (no id is known).</summary>
    public void LostWrite(string title, string description) => Lost(title, description);

    /// <summary>GET of a foreign id answered 200.</summary>
    public void ForeignRead(BenchSoakCaller caller, BenchSoakDocument document) =>
        Violation(ref _foreignReadable, $"get: {caller.Tenant}/{caller.User} read document {document.Id} ({document.Marker})");

    /// <summary>DELETE of a foreign id answered 204.</summary>
    public void ForeignDelete(BenchSoakCaller caller, BenchSoakDocument document) =>
        Violation(ref _foreignDeletable, $"delete: {caller.Tenant}/{caller.User} deleted document {document.Id} ({document.Marker})");

    private void Visible(BenchSoakCaller caller, string where, BenchSoakMarker marker, Guid? documentId)
    {
        if (!string.Equals(marker.Tenant, caller.Tenant, StringComparison.Ordinal))
        {
            Violation(ref _crossTenant, $"{where}: {caller.Tenant}/{caller.User} got {marker} (document {documentId}) of another tenant");
        }
        else if (!marker.VisibleTo(caller.Tenant, caller.User))
        {
            Violation(ref _crossUser, $"{where}: {caller.Tenant}/{caller.User} got {marker} (document {documentId}), a colleague's private document");
        }
    }

    private void Lost(string key, string description)
    {
        if (_lost.TryAdd(key, 0))
        {
            Sample(description);
        }
    }

    private void Violation(ref long counter, string description)
    {
        Interlocked.Increment(ref counter);
        Sample(description);
    }

    private void Sample(string description)
    {
        if (_samples.Count < MaxSamples)
        {
            _samples.Enqueue(description);
        }
    }

    private static string Shorten(string? text) => text is null ? "(none)" : text.Length <= 80 ? text : text[..80] + "...";
}

/// <summary>One item of <c>GET /v1/documents</c>.</summary>
internal sealed record BenchSoakListed(Guid Id, string Title, string Owner, string Visibility);
