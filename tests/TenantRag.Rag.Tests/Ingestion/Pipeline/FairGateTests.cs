using TenantRag.Rag.Ingestion.Pipeline;

namespace TenantRag.Rag.Tests.Ingestion.Pipeline;

public sealed class FairGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnterAsync_OneKeyQueuedMany_OtherKeyServedNextNotLast()
    {
        var gate = new FairGate<string>(capacity: 1);
        var held = await gate.EnterAsync("a", Ct);
        var order = new List<string>();
        var waits = new List<Task>();
        for (var i = 0; i < 5; i++)
        {
            waits.Add(TakeTurnAsync(gate, "a", order));
        }

        waits.Add(TakeTurnAsync(gate, "b", order));

        held.Dispose();
        await Task.WhenAll(waits);

        // b queued after five of a's, and was served second.
        Assert.Equal(["a", "b", "a", "a", "a", "a"], order);
    }

    [Fact]
    public async Task EnterAsync_KeyAtItsOwnLimit_FreeSlotGoesToAnotherKey()
    {
        var gate = new FairGate<string>(capacity: 2, capacityPerKey: 1);
        using var first = await gate.EnterAsync("a", Ct);

        var secondOfA = gate.EnterAsync("a", Ct);
        var firstOfB = gate.EnterAsync("b", Ct);

        Assert.False(secondOfA.IsCompleted);
        using var b = await firstOfB;
        Assert.Equal(2, gate.Active);
        first.Dispose();
        using var a = await secondOfA;
        Assert.Equal("a", a.Key);
    }

    [Fact]
    public async Task EnterAsync_WaitCancelled_GivesUpItsPlace()
    {
        var gate = new FairGate<string>(capacity: 1);
        var held = await gate.EnterAsync("a", Ct);
        using var cancel = new CancellationTokenSource();
        var cancelled = gate.EnterAsync("b", cancel.Token);
        var next = gate.EnterAsync("c", Ct);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        held.Dispose();

        using var lease = await next;
        Assert.Equal("c", lease.Key);
        Assert.Equal(1, gate.Active);
    }

    [Fact]
    public async Task Dispose_Twice_FreesOneSlot()
    {
        var gate = new FairGate<string>(capacity: 1);
        var lease = await gate.EnterAsync("a", Ct);

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(0, gate.Active);
        using var again = await gate.EnterAsync("a", Ct);
        Assert.Equal(1, gate.Active);
    }

    private static async Task TakeTurnAsync(FairGate<string> gate, string key, List<string> order)
    {
        using var lease = await gate.EnterAsync(key, Ct);
        lock (order)
        {
            order.Add(key);
        }

        await Task.Yield();
    }
}
