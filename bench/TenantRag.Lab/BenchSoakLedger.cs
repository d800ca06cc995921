namespace TenantRag.Lab;

/// <summary>
/// What the soak knows about its documents: every acknowledged write and delete, the titles whose writes were refused
/// or went unanswered, and a clock that orders them against other requests. Thread-safe; one lock, because the
/// operations it guards are tiny next to an HTTP round trip.
/// </summary>
internal sealed class BenchSoakLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, BenchSoakDocument> _byId = [];
    private readonly Dictionary<string, List<BenchSoakDocument>> _byTenant = new(StringComparer.Ordinal);
    private readonly HashSet<string> _refusedTitles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unansweredTitles = new(StringComparer.Ordinal);
    private readonly string _run;
    private long _clock;
    private long _serial;

    /// <param name="run">Makes this run's serials differ from every earlier run's (letters and digits).</param>
    public BenchSoakLedger(string run) => _run = run;

    /// <summary>The next instant: take one before sending a request and one after its answer.</summary>
    public long Tick() => Interlocked.Increment(ref _clock);

    /// <summary>A serial no other document of any run has.</summary>
    public string NextSerial() => $"{_run}n{Interlocked.Increment(ref _serial)}";

    public void Add(BenchSoakDocument document)
    {
        lock (_lock)
        {
            if (_byId.TryAdd(document.Id, document))
            {
                if (!_byTenant.TryGetValue(document.Marker.Tenant, out var list))
                {
                    _byTenant[document.Marker.Tenant] = list = [];
                }

                list.Add(document);
            }
        }
    }

    public BenchSoakDocument? Find(Guid id)
    {
        lock (_lock)
        {
            return _byId.GetValueOrDefault(id);
        }
    }

    /// <summary>A write that was answered with a refusal (4xx, 429): its title must never show up.</summary>
    public void Refused(string title)
    {
        lock (_lock)
        {
            _refusedTitles.Add(title);
        }
    }

    /// <summary>A write that got no answer (timeout, 5xx): its document may or may not exist.</summary>
    public void Unanswered(string title)
    {
        lock (_lock)
        {
            _unansweredTitles.Add(title);
        }
    }

    public bool WasRefused(string title)
    {
        lock (_lock)
        {
            return _refusedTitles.Contains(title);
        }
    }

    public int UnansweredWrites
    {
        get
        {
            lock (_lock)
            {
                return _unansweredTitles.Count;
            }
        }
    }

    /// <summary>Live documents of <paramref name="tenant"/>.</summary>
    public int LiveCount(string tenant)
    {
        lock (_lock)
        {
            return _byTenant.TryGetValue(tenant, out var list) ? list.Count(d => d.State == BenchSoakState.Live) : 0;
        }
    }

    /// <summary>Claims one of the caller's own live documents for deletion (nobody else will delete it), or null.</summary>
    public BenchSoakDocument? ClaimOwn(BenchSoakCaller caller, Random random)
    {
        lock (_lock)
        {
            var document = Pick(caller.Tenant, d => d.State == BenchSoakState.Live && d.Marker.Owner == caller.User, random);
            if (document is not null)
            {
                document.State = BenchSoakState.Deleting;
                document.Claimed = Tick();
            }

            return document;
        }
    }

    /// <summary>The claimed delete was answered 204.</summary>
    public void Deleted(BenchSoakDocument document)
    {
        lock (_lock)
        {
            document.State = BenchSoakState.Deleted;
            document.DeletedAt = Tick();
        }
    }

    /// <summary>The claimed delete was refused (429): the document stays live, as it was all along.</summary>
    public void Unclaim(BenchSoakDocument document)
    {
        lock (_lock)
        {
            document.State = BenchSoakState.Live;
            document.Claimed = long.MaxValue;
        }
    }

    /// <summary>Nothing certain is known any more (an unanswered delete, a document that vanished).</summary>
    public void Unsure(BenchSoakDocument document)
    {
        lock (_lock)
        {
            document.State = BenchSoakState.Unknown;
        }
    }

    /// <summary>A live document the caller may see, or null.</summary>
    public BenchSoakDocument? PickVisible(BenchSoakCaller caller, Random random)
    {
        lock (_lock)
        {
            return Pick(caller.Tenant, d => d.State == BenchSoakState.Live && d.Marker.VisibleTo(caller.Tenant, caller.User), random);
        }
    }

    /// <summary>A document (live or deleted) the caller must never see: another tenant's, or a colleague's private one.</summary>
    public BenchSoakDocument? PickForeign(BenchSoakCaller caller, IReadOnlyList<string> tenants, Random random)
    {
        lock (_lock)
        {
            var own = random.Next(3) == 0;
            var tenant = own ? caller.Tenant : tenants[random.Next(tenants.Count)];
            return Pick(tenant, d => !d.Marker.VisibleTo(caller.Tenant, caller.User), random)
                ?? Pick(tenants[random.Next(tenants.Count)], d => !d.Marker.VisibleTo(caller.Tenant, caller.User), random);
        }
    }

    /// <summary>A copy of every document of <paramref name="tenant"/>, for checking a listing.</summary>
    public IReadOnlyList<BenchSoakDocument> Documents(string tenant)
    {
        lock (_lock)
        {
            return _byTenant.TryGetValue(tenant, out var list) ? [.. list] : [];
        }
    }

    /// <summary>A copy of every document.</summary>
    public IReadOnlyList<BenchSoakDocument> All()
    {
        lock (_lock)
        {
            return [.. _byId.Values];
        }
    }

    private BenchSoakDocument? Pick(string tenant, Func<BenchSoakDocument, bool> where, Random random)
    {
        if (!_byTenant.TryGetValue(tenant, out var list) || list.Count == 0)
        {
            return null;
        }

        // A few random probes first (cheap), then a scan from a random start.
        for (var i = 0; i < 8; i++)
        {
            var candidate = list[random.Next(list.Count)];
            if (where(candidate))
            {
                return candidate;
            }
        }

        var start = random.Next(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var candidate = list[(start + i) % list.Count];
            if (where(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
