using System.Diagnostics;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

/// <summary>The minimum share's accounting, on a clock the test moves: no waiting, nothing to flake.</summary>
public sealed class CpuShareBudgetTests
{
    private const long Start = 1_000_000;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    [Fact]
    public void IsOwed_NewBudget_OwesAWindowOfCreditAtOnce()
    {
        var budget = new CpuShareBudget(0.25, Window, Start);

        Assert.True(budget.IsOwed(Start));
        Assert.Equal(TimeSpan.FromMilliseconds(250), budget.Balance(Start));
        Assert.Equal(TimeSpan.Zero, budget.UntilOwed(Start));
    }

    [Fact]
    public void IsOwed_WorkUsedMoreThanItsShare_NotOwedUntilTheShareCatchesUp()
    {
        var budget = new CpuShareBudget(0.25, Window, Start);

        budget.Charge(TimeSpan.FromMilliseconds(350), Start);

        // 100 ms ahead of its share: at a quarter of a core, owed again 400 ms later.
        Assert.False(budget.IsOwed(Start));
        Assert.Equal(400, budget.UntilOwed(Start).TotalMilliseconds, 3);
        Assert.False(budget.IsOwed(At(399)));
        Assert.True(budget.IsOwed(At(401)));
    }

    [Fact]
    public void Charge_RunningOnIdleCpuForMinutes_MakesItWaitAtMostAWindow()
    {
        var budget = new CpuShareBudget(0.25, Window, Start);

        // Two cores for two minutes while nothing else wanted them, charged as it ran.
        for (var ms = 100; ms <= 120_000; ms += 100)
        {
            budget.Charge(TimeSpan.FromMilliseconds(200), At(ms));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(-250), budget.Balance(At(120_000)));
        Assert.Equal(Window, budget.UntilOwed(At(120_000)));
    }

    [Fact]
    public void Balance_AnHourWithoutWork_SavesAtMostAWindowOfCredit()
    {
        var budget = new CpuShareBudget(0.5, Window, Start);
        budget.Charge(TimeSpan.FromMilliseconds(500), Start);

        Assert.Equal(TimeSpan.FromMilliseconds(500), budget.Balance(At(3_600_000)));
    }

    [Fact]
    public void IsOwed_WorkAtExactlyItsShare_StaysOwed()
    {
        // A quarter of a core in 60 ms pieces, each charged when it ends: never ahead of its share.
        var budget = new CpuShareBudget(0.25, Window, Start);
        var owed = 0;
        for (var ms = 0; ms < 10_000; ms += 240)
        {
            owed += budget.IsOwed(At(ms)) ? 1 : 0;
            budget.Charge(TimeSpan.FromMilliseconds(60), At(ms + 60));
        }

        Assert.Equal(42, owed);
        Assert.True(budget.Balance(At(10_000)) > TimeSpan.Zero);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-0.5)]
    public void Constructor_NoShare_Throws(double share) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CpuShareBudget(share, Window, Start));

    private static long At(int milliseconds) => Start + (milliseconds * Stopwatch.Frequency / 1000);
}
