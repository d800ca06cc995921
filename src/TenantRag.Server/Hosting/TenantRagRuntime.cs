using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres;

namespace TenantRag.Hosting;

/// <summary>
/// Opens the installation as the host starts (before any hosted service's <c>StartAsync</c>, so before the first request):
/// starts the embedded cluster if no server is configured, bootstraps and migrates; its pools log through the host's
/// logging (statements at Debug, an admin pool's never, parameter values never). Closes every pool when the host's
/// services are disposed. The one holder of <see cref="TenantRagDatabase"/> in a host: the composition root hands its
/// parts to the services that need them, and serving code never sees the whole.
/// </summary>
internal sealed partial class TenantRagRuntime(TenantRagSettings settings, TenantRagSetup setup, ILoggerFactory loggers, ILogger<TenantRagRuntime> logger)
    : IHostedLifecycleService, IAsyncDisposable
{
    private TenantRagDatabase? _database = setup.Database;

    /// <summary>The opened installation.</summary>
    /// <exception cref="InvalidOperationException">The host has not started yet.</exception>
    public TenantRagDatabase Database => _database ?? throw new InvalidOperationException(
        "TenantRag has not started: its services are there once the host has started (IHost.StartAsync opens the database)");

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (_database is not null)
        {
            return;
        }

        _database = await settings.OpenDatabaseAsync(loggerFactory: loggers, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var notice in _database.Notices)
        {
            setup.OnNotice?.Invoke(notice);
            Log.Notice(logger, notice);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Closes the pools of a database this runtime opened (one handed in by the host is the host's to close).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_database is not null && !ReferenceEquals(_database, setup.Database))
        {
            await _database.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Database start-up: {Notice}")]
        public static partial void Notice(ILogger logger, string notice);
    }
}
