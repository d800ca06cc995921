using TenantRag.Lab;

namespace TenantRag.Integration.Tests.Soak;

/// <summary>
/// The soak's verification logic without a server: an injected leak, lost write or resurrected delete must be
/// counted, and a race the soak cannot judge must not be.
/// </summary>
public sealed class BenchSoakChecksTests
{
    private static readonly BenchSoakCaller Alice = new("soak-shared-00", "u1", "token");

    [Fact]
    public void Marker_WrittenIntoATitle_IsFoundAgain()
    {
        var marker = new BenchSoakMarker("soak-dedicated-03", "u2", BenchSoakMarker.PrivateVisibility, "abcn17");

        var found = BenchSoakMarker.Find($"# {marker.Title}\n\nsome text {marker}.");

        Assert.Equal(marker, found);
        Assert.Null(BenchSoakMarker.Find("Soak note without a marker"));
    }

    [Fact]
    public void Result_OwnTenantOrColleaguesSharedDocument_IsNoViolation()
    {
        var (_, checks) = Create();
        var own = new BenchSoakMarker(Alice.Tenant, "u1", BenchSoakMarker.PrivateVisibility, "r1n1");
        var shared = new BenchSoakMarker(Alice.Tenant, "u2", BenchSoakMarker.TenantVisibility, "r1n2");

        checks.Result(Alice, "search", own.Title, Guid.NewGuid(), "private", text: $"{own} text {own}");
        checks.Result(Alice, "search", shared.Title, Guid.NewGuid(), "tenant", "u2", $"{shared} text");

        Assert.Equal((2, 3, 0), (checks.Results, checks.TextMarkers, checks.Leaks));
    }

    [Fact]
    public void Result_AnotherTenantsOrColleaguesPrivateDocument_CountsALeak()
    {
        var (_, checks) = Create();
        var foreign = new BenchSoakMarker("soak-dedicated-00", "u1", BenchSoakMarker.TenantVisibility, "r1n3");
        var colleague = new BenchSoakMarker(Alice.Tenant, "u2", BenchSoakMarker.PrivateVisibility, "r1n4");

        checks.Result(Alice, "search", foreign.Title, Guid.NewGuid(), "tenant");
        checks.Result(Alice, "ask", colleague.Title, Guid.NewGuid());
        checks.Text(Alice, "ask", $"An answer quoting {colleague} [1].");

        Assert.Equal((1, 2, 3), (checks.CrossTenant, checks.CrossUser, checks.Leaks));
        Assert.Contains(checks.Samples, s => s.Contains("soak-dedicated-00", StringComparison.Ordinal));
    }

    [Fact]
    public void Result_UnmarkedOrDisagreeingParts_CountsALeak()
    {
        var (_, checks) = Create();
        var own = new BenchSoakMarker(Alice.Tenant, "u1", BenchSoakMarker.TenantVisibility, "r1n5");
        var foreign = new BenchSoakMarker("soak-shared-01", "u1", BenchSoakMarker.TenantVisibility, "r1n6");

        checks.Result(Alice, "search", "a chunk of some other installation", Guid.NewGuid());
        checks.Result(Alice, "search", own.Title, Guid.NewGuid(), "private");
        checks.Result(Alice, "search", own.Title, Guid.NewGuid(), "tenant", text: $"{foreign} text of another document");

        Assert.Equal((1, 2, 1, 4), (checks.Unmarked, checks.Mismatched, checks.CrossTenant, checks.Leaks));
    }

    [Fact]
    public void Listing_MissingAcknowledgedWriteOrListedAcknowledgedDelete_CountsThem()
    {
        var (ledger, checks) = Create();
        var kept = Add(ledger, new BenchSoakMarker(Alice.Tenant, "u2", BenchSoakMarker.TenantVisibility, "r1n7"));
        var deleted = Add(ledger, new BenchSoakMarker(Alice.Tenant, "u1", BenchSoakMarker.PrivateVisibility, "r1n8"));
        Assert.Same(deleted, ledger.ClaimOwn(Alice, new Random(1)));
        ledger.Deleted(deleted);
        var start = ledger.Tick();

        checks.Listing(Alice, [Listed(deleted)], start, ledger.Tick());

        Assert.Equal((1, 1, 0L), (checks.LostWrites, checks.Resurrected, checks.Leaks));
        Assert.Contains(checks.Samples, s => s.Contains(kept.Id.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Listing_DocumentsThatRacedOrAreNotTheCallers_AreNotCounted()
    {
        var (ledger, checks) = Create();
        var start = ledger.Tick();
        var racing = Add(ledger, new BenchSoakMarker(Alice.Tenant, "u2", BenchSoakMarker.TenantVisibility, "r1n9"));
        var colleagues = Add(ledger, new BenchSoakMarker(Alice.Tenant, "u2", BenchSoakMarker.PrivateVisibility, "r1n10"));
        var beingDeleted = Add(ledger, new BenchSoakMarker(Alice.Tenant, "u1", BenchSoakMarker.PrivateVisibility, "r1n11"), before: start);
        ledger.ClaimOwn(Alice, new Random(2));

        checks.Listing(Alice, [], start, ledger.Tick());

        Assert.Equal((0, 0, 0L), (checks.LostWrites, checks.Resurrected, checks.Leaks));
        Assert.NotNull(racing);
        Assert.NotNull(colleagues);
        Assert.Equal(BenchSoakState.Deleting, beingDeleted.State);
    }

    [Fact]
    public void NotDeleted_HitOfADocumentDeletedBeforeTheSearch_CountsAResurrectedDelete()
    {
        var (ledger, checks) = Create();
        var gone = Add(ledger, new BenchSoakMarker(Alice.Tenant, "u1", BenchSoakMarker.TenantVisibility, "r1n16"));
        ledger.ClaimOwn(Alice, new Random(4));
        var during = ledger.Tick();
        ledger.Deleted(gone);
        var after = ledger.Tick();

        checks.NotDeleted(Alice, "search", gone.Id, during);
        var racedWithTheDelete = checks.Resurrected;
        checks.NotDeleted(Alice, "search", gone.Id, after);

        Assert.Equal((0, 1), (racedWithTheDelete, checks.Resurrected));
    }

    [Fact]
    public void Listing_RefusedWriteThatExists_CountsAPhantom()
    {
        var (ledger, checks) = Create();
        var refused = new BenchSoakMarker(Alice.Tenant, "u1", BenchSoakMarker.TenantVisibility, "r1n12");
        ledger.Refused(refused.Title);
        var start = ledger.Tick();

        checks.Listing(Alice, [new BenchSoakListed(Guid.NewGuid(), refused.Title, "u1", "tenant")], start, ledger.Tick());

        Assert.Equal(1, checks.Phantoms);
    }

    [Fact]
    public void PickForeign_NeverPicksWhatTheCallerMaySee()
    {
        var (ledger, _) = Create();
        Add(ledger, new BenchSoakMarker(Alice.Tenant, "u1", BenchSoakMarker.PrivateVisibility, "r1n13"));
        Add(ledger, new BenchSoakMarker(Alice.Tenant, "u2", BenchSoakMarker.TenantVisibility, "r1n14"));
        var hidden = Add(ledger, new BenchSoakMarker(Alice.Tenant, "u2", BenchSoakMarker.PrivateVisibility, "r1n15"));
        var random = new Random(3);

        var picks = Enumerable.Range(0, 50).Select(_ => ledger.PickForeign(Alice, [Alice.Tenant], random)).ToList();

        Assert.All(picks, p => Assert.Same(hidden, p));
    }

    private static (BenchSoakLedger, BenchSoakChecks) Create()
    {
        var ledger = new BenchSoakLedger("r1");
        return (ledger, new BenchSoakChecks(ledger));
    }

    private static BenchSoakDocument Add(BenchSoakLedger ledger, BenchSoakMarker marker, long? before = null)
    {
        var document = new BenchSoakDocument(Guid.NewGuid(), marker, before is { } b ? b - 1 : ledger.Tick(), fromThisRun: true);
        ledger.Add(document);
        return document;
    }

    private static BenchSoakListed Listed(BenchSoakDocument d) => new(d.Id, d.Marker.Title, d.Marker.Owner, d.Marker.Visibility);
}
