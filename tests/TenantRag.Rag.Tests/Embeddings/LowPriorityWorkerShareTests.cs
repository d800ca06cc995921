using TenantRag.Rag.Embeddings;
using static TenantRag.Rag.Embeddings.LowPriorityWorker;

namespace TenantRag.Rag.Tests.Embeddings;

/// <summary>The worker's decisions: when its threads run raised, when they pause, how the minimum is made real.</summary>
public sealed class LowPriorityWorkerShareTests
{
    private static readonly TimeSpan Piece = TimeSpan.FromMilliseconds(60);

    [Fact]
    public void PauseAfter_OwedCpu_DoesNotPause() =>
        Assert.Equal(TimeSpan.Zero, PauseAfter(Piece, untilOwed: TimeSpan.Zero, keptNormal: false));

    [Fact]
    public void PauseAfter_NoMinimum_PausesNineTimesThePiece() =>
        Assert.Equal(Piece * 9, PauseAfter(Piece, untilOwed: null, keptNormal: false));

    [Fact]
    public void PauseAfter_AheadOfItsShareAtIdlePriority_PausesNineTimesThePieceOrUntilOwed()
    {
        Assert.Equal(Piece * 9, PauseAfter(Piece, untilOwed: TimeSpan.FromSeconds(1), keptNormal: false));
        Assert.Equal(TimeSpan.FromMilliseconds(200), PauseAfter(Piece, untilOwed: TimeSpan.FromMilliseconds(200), keptNormal: false));
    }

    [Fact]
    public void PauseAfter_AheadOfItsShareAtNormalPriority_PausesUntilOwed() =>
        Assert.Equal(TimeSpan.FromMilliseconds(900), PauseAfter(TimeSpan.FromMilliseconds(1), untilOwed: TimeSpan.FromMilliseconds(900), keptNormal: true));

    [Fact]
    public void PauseAfter_ALongPiece_PausesAtMostASecond()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), PauseAfter(TimeSpan.FromSeconds(2), untilOwed: null, keptNormal: false));
        Assert.Equal(TimeSpan.FromSeconds(1), PauseAfter(Piece, untilOwed: TimeSpan.FromSeconds(5), keptNormal: true));
    }

    [Theory]
    [InlineData(true, true, false, false, true)]
    [InlineData(true, false, false, false, false)]
    [InlineData(true, false, true, false, true)]
    [InlineData(true, false, false, true, true)]
    [InlineData(false, true, true, true, false)]
    public void ShouldRaise_OnlyWithWorkThatIsOwedOrBesideNoSearchOrFinishing(bool busy, bool owed, bool foregroundQuiet, bool finishing, bool raise) =>
        Assert.Equal(raise, ShouldRaise(busy, owed, foregroundQuiet, finishing));

    [Fact]
    public void ChooseRaising_NoMinimum_NeverRaisesAndAsksNothing() =>
        Assert.Equal((Raising.Never, 0), ChooseRaising(0, hasGroup: true, () => throw new InvalidOperationException("asked")));

    [Fact]
    public void ChooseRaising_ACgroupOfItsOwn_RaisesTheGroup() =>
        Assert.Equal((Raising.CpuGroup, 0), ChooseRaising(0.25, hasGroup: true, () => throw new InvalidOperationException("asked")));

    [Fact]
    public void ChooseRaising_NoCgroupButThreadsMayBeRaised_RaisesThemToTheNiceValueAllowed()
    {
        Assert.Equal((Raising.ThreadPolicy, -5), ChooseRaising(0.25, hasGroup: false, () => -5));
        Assert.Equal((Raising.ThreadPolicy, 0), ChooseRaising(0.25, hasGroup: false, () => 0));
    }

    [Fact]
    public void ChooseRaising_AnUnprivilegedProcess_KeepsTheThreadsAtNormalPriority() =>
        Assert.Equal((Raising.KeptNormal, 0), ChooseRaising(0.25, hasGroup: false, () => null));

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Constructor_ShareOutOfRange_Throws(double share) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LowPriorityWorker("bad", new LowPriorityWorkerOptions { MinCpuShare = share }));

    [Fact]
    public async Task Threads_ForegroundQuiet_RunSeveralPiecesAtOnce_ForegroundActive_OnlyOneThreadTakesWork()
    {
        var foreground = new ForegroundActivity();
        using var worker = new LowPriorityWorker("lanes", new LowPriorityWorkerOptions { Threads = 2, Foreground = foreground });
        using var bothRunning = new Barrier(2);

        // Each piece waits for the other to start: only two threads at once can finish them.
        var first = worker.RunAsync(() => bothRunning.SignalAndWait(TimeSpan.FromSeconds(60)), TestContext.Current.CancellationToken);
        var second = worker.RunAsync(() => bothRunning.SignalAndWait(TimeSpan.FromSeconds(60)), TestContext.Current.CancellationToken);
        var together = await first && await second;
        int[] threads;
        using (foreground.Begin())
        {
            threads = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
                worker.RunAsync(() => Environment.CurrentManagedThreadId, TestContext.Current.CancellationToken)));
        }

        Assert.True(together, "the two pieces did not run at the same time");
        Assert.Single(threads.Distinct());
    }
}
