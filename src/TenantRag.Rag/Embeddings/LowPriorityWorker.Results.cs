using System.Diagnostics;

namespace TenantRag.Rag.Embeddings;

/// <summary>Handing results to awaiting code without lending it the lowered threads' priority.</summary>
public sealed partial class LowPriorityWorker
{
    private static readonly TimeSpan StraySweepInterval = TimeSpan.FromSeconds(1);

    // Results reach awaiting code from a thread at normal priority, never from a lowered one: completing a task queues its
    // continuation on the thread pool, and a pool thread the runtime starts for it inherits the starting thread's nice value
    // and cgroup (seen: the pool's gate thread and two of its workers at nice 19 in the idle group, where they went on to
    // run searches at idle priority).
    private void Complete(Action deliver)
    {
        try
        {
            _results.Add(deliver);
        }
        catch (InvalidOperationException)
        {
            // Only a worker disposed from one of its own threads gets here.
            deliver();
        }
    }

    private void DeliverResults()
    {
        var swept = Stopwatch.GetTimestamp();
        while (!_results.IsCompleted)
        {
            if (_results.TryTake(out var deliver, _group is null ? Timeout.InfiniteTimeSpan : StraySweepInterval))
            {
                deliver();
            }

            // A thread the runtime started from a worker thread anyway (a tiered-compilation worker, say) is moved back to the
            // process's group at normal priority.
            if (_group is not null && Stopwatch.GetElapsedTime(swept) >= StraySweepInterval)
            {
                _group.MoveOutStrays(_threadIds);
                swept = Stopwatch.GetTimestamp();
            }
        }
    }
}
