using System.Globalization;

namespace TenantRag.Lab;

/// <summary>The figures and verdict of one <c>bench soak</c> run, printed as text or JSON.</summary>
internal sealed class BenchSoakReport
{
    private readonly int _tenants;
    private readonly int _created;
    private readonly int _users;
    private readonly int _seconds;
    private readonly string _loadBefore;
    private readonly string _loadAfter;

    public BenchSoakReport(int seconds, int tenants, int created, int users, BenchSoakPrepared prepared, BenchSoakRun run, BenchSoakFinal final,
        BenchSoakCounts counts, BenchSoakChecks checks, BenchSoakLedger ledger, BenchSoakMemoryFigures memory, string loadBefore, string loadAfter)
    {
        _seconds = seconds;
        _tenants = tenants;
        _created = created;
        _users = users;
        _loadBefore = loadBefore;
        _loadAfter = loadAfter;
        Prepared = prepared;
        Run = run;
        Final = final;
        Counts = counts;
        Checks = checks;
        Memory = memory;
        var documents = ledger.All();
        WritesAcknowledged = documents.Count(d => d.FromThisRun);
        DeletesAcknowledged = documents.Count(d => d.State == BenchSoakState.Deleted);
        UnansweredWrites = ledger.UnansweredWrites;

        var failures = new List<string>();
        Fail(failures, checks.Leaks, "results or ids of another tenant or a colleague's private document (leaks)");
        Fail(failures, checks.LostWrites, "acknowledged writes not found (lost writes)");
        Fail(failures, checks.Resurrected, "acknowledged deletes seen again (resurrected)");
        Fail(failures, checks.Phantoms, "refused writes that exist after all");
        Fail(failures, counts.Status(500, 599), "5xx answers");
        Fail(failures, counts.Unexpected - counts.Status(500, 599), "other unexpected answers (4xx other than 404 probes and 429, timeouts, refused connections)");
        Fail(failures, checks.Results == 0 || checks.TextMarkers == 0 ? 1 : 0, "runs that checked no result or no marker in returned text (nothing was verified)");
        if (memory.Flat == false)
        {
            failures.Add("memory grew (working set or GC heap above the baseline by more than 25% + slack)");
        }

        Failures = failures;
    }

    public BenchSoakPrepared Prepared { get; }

    public BenchSoakRun Run { get; }

    public BenchSoakFinal Final { get; }

    public BenchSoakCounts Counts { get; }

    public BenchSoakChecks Checks { get; }

    public BenchSoakMemoryFigures Memory { get; }

    public int WritesAcknowledged { get; }

    public int DeletesAcknowledged { get; }

    public int UnansweredWrites { get; }

    /// <summary>Each failed invariant, described; empty when the soak passed.</summary>
    public IReadOnlyList<string> Failures { get; }

    public bool Passed => Failures.Count == 0;

    public void Print(BenchContext cli)
    {
        if (cli.Json)
        {
            cli.WriteJson(ToJson());
            return;
        }

        var c = Checks;
        var lines = new List<string>
        {
            "operations (answers by status):",
        };
        lines.AddRange(Counts.ByOperation().Select(o => FormattableString.Invariant(
            $"  {o.Key,-18} {o.Value.Values.Sum(),7}  ({string.Join(", ", o.Value.Select(s => $"{s.Key} x{s.Value}"))})")));
        lines.Add(FormattableString.Invariant($"documents: {Prepared.FoundAtStart} found at start, {WritesAcknowledged} writes acknowledged, {DeletesAcknowledged} deletes acknowledged, {UnansweredWrites} writes unanswered"));
        lines.Add(FormattableString.Invariant($"final check ({Final.Seconds:F1} s): {Final.Listings} listings, {Final.LiveDocuments} live documents by id (owner 200, strangers 404), {Final.DeletedDocuments} deleted documents by id (owner 404)"));
        lines.Add(FormattableString.Invariant($"isolation: {c.Results} results and {c.TextMarkers} markers in returned text checked; {c.CrossTenant} cross-tenant, {c.CrossUser} cross-user, {c.Unmarked} unmarked, {c.Mismatched} mismatched; foreign ids readable {c.ForeignReadable}, deletable {c.ForeignDeletable}"));
        lines.Add(FormattableString.Invariant($"writes: {c.LostWrites} lost, {c.Resurrected} resurrected deletes, {c.Phantoms} refused writes present"));
        lines.Add(FormattableString.Invariant($"HTTP: {Counts.Total} answers; 2xx {Counts.Status(200, 299)}, 404 {Counts.Status(404, 404)} (probes of foreign ids), 429 {Counts.Status(429, 429)}, other 4xx {Counts.Status(400, 499) - Counts.Status(404, 404) - Counts.Status(429, 429)}, 5xx {Counts.Status(500, 599)}, no answer {Counts.NoAnswer}; unexpected {Counts.Unexpected}"));
        lines.Add($"memory: {Memory.Describe()}");
        lines.Add($"memory verdict: {Memory.Verdict}");
        lines.AddRange(c.Samples.Select(s => $"  violation: {s}"));
        lines.Add($"load average after: {_loadAfter}");
        lines.Add(Passed ? "PASS: no leaks, no lost writes, no resurrected deletes, no 5xx" : $"FAIL: {string.Join("; ", Failures)}");
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }
    }

    private object ToJson() => new
    {
        benchmark = "soak",
        seconds = _seconds,
        ranSeconds = Run.Seconds,
        workers = Run.Workers,
        tenants = new { total = _tenants, perModel = _tenants / 2, created = _created, reused = _tenants - _created },
        usersPerTenant = _users,
        cores = Environment.ProcessorCount,
        loadAverageBefore = _loadBefore,
        loadAverageAfter = _loadAfter,
        documents = new
        {
            foundAtStart = Prepared.FoundAtStart,
            addedInPreparation = Prepared.Added,
            writesAcknowledged = WritesAcknowledged,
            deletesAcknowledged = DeletesAcknowledged,
            writesUnanswered = UnansweredWrites,
            liveAtEnd = Final.LiveDocuments,
            deletedCheckedAtEnd = Final.DeletedDocuments,
        },
        operations = Counts.ByOperation(),
        http = new
        {
            answers = Counts.Total,
            status2xx = Counts.Status(200, 299),
            status404 = Counts.Status(404, 404),
            status429 = Counts.Status(429, 429),
            status4xxOther = Counts.Status(400, 499) - Counts.Status(404, 404) - Counts.Status(429, 429),
            status5xx = Counts.Status(500, 599),
            noAnswer = Counts.NoAnswer,
            unexpected = Counts.Unexpected,
        },
        checks = new
        {
            results = Checks.Results,
            textMarkers = Checks.TextMarkers,
            leaks = Checks.Leaks,
            crossTenant = Checks.CrossTenant,
            crossUser = Checks.CrossUser,
            unmarked = Checks.Unmarked,
            mismatched = Checks.Mismatched,
            foreignReadable = Checks.ForeignReadable,
            foreignDeletable = Checks.ForeignDeletable,
            lostWrites = Checks.LostWrites,
            resurrectedDeletes = Checks.Resurrected,
            phantomWrites = Checks.Phantoms,
        },
        memory = new
        {
            Memory.HeapStartMib,
            Memory.HeapMaxMib,
            Memory.HeapEndMib,
            Memory.WorkingSetStartMib,
            Memory.WorkingSetMaxMib,
            Memory.WorkingSetEndMib,
            flat = Memory.Flat,
            verdict = Memory.Verdict,
        },
        violations = Checks.Samples,
        passed = Passed,
        failures = Failures,
    };

    private static void Fail(List<string> failures, long count, string what)
    {
        if (count > 0)
        {
            failures.Add($"{count.ToString(CultureInfo.InvariantCulture)} {what}");
        }
    }
}
