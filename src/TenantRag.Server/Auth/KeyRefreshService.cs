using Microsoft.Extensions.Hosting;

namespace TenantRag.Server.Auth;

/// <summary>
/// Refreshes the identity provider's keys on their schedule (<see cref="SigningKeyStore.UntilNextRefresh"/>): the first
/// fetch as the server starts, then whenever the last key set's cache lifetime is over, so a retired key stops
/// validating even if no token ever names an unknown key.
/// </summary>
internal sealed class KeyRefreshService(SigningKeyStore keys, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // A fetch prompted by an unknown key id in between moves the schedule on: look again before fetching.
            var wait = keys.UntilNextRefresh();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
                continue;
            }

            await keys.RefreshAsync(stoppingToken).ConfigureAwait(false);
        }
    }
}
