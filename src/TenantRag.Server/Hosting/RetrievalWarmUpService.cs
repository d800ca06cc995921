using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Rag.Retrieval;

namespace TenantRag.Hosting;

/// <summary>
/// Once the host has started, runs <see cref="RetrievalWarmUp"/> on a worker thread, so the first cold tenant this
/// process serves from its index snapshots does not pay for compiling the code that decodes and searches them (tens of
/// milliseconds on two cores). Touches no database and holds nothing afterwards; requests are served meanwhile.
/// </summary>
internal sealed partial class RetrievalWarmUpService(ILogger<RetrievalWarmUpService> logger) : IHostedService
{
    private readonly TaskCompletionSource<int> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The hits of the warm-up's searches, once it has run (a failure is logged and ends it with 0).</summary>
    public Task<int> Completed => _completed.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(Run, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Run()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var hits = RetrievalWarmUp.Run();
            Log.WarmedUp(logger, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _completed.TrySetResult(hits);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or InvalidDataException)
        {
            // Not fatal: searches compile what they need as they go. But a decoded snapshot that answers differently is a bug.
            Log.Failed(logger, ex);
            _completed.TrySetResult(0);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1605, Level = LogLevel.Debug, Message = "Retrieval code warmed up in {Ms:F0} ms")]
        public static partial void WarmedUp(ILogger logger, double ms);

        [LoggerMessage(EventId = 1606, Level = LogLevel.Error, Message = "Warming up the retrieval code failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
