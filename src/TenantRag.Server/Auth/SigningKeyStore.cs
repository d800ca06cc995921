using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace TenantRag.Server.Auth;

/// <summary>
/// The keys tokens may be signed with: fixed (the development issuer), or an identity provider's JWKS. The JWKS is
/// refreshed on a schedule (<see cref="KeyRefreshService"/>) after the lifetime its cache headers give, kept between
/// <see cref="AuthOptions.KeyCacheMinSeconds"/> and <see cref="AuthOptions.KeyCacheMaxSeconds"/>, so a key the provider
/// retires stops validating after the next refresh. A token naming a key id not in the set may prompt a fetch sooner,
/// at most one per <see cref="AuthOptions.KeyRefreshMinSeconds"/> after the last one ended. Fetches are single-flight
/// (every caller shares the one in flight), nobody blocks a thread on one, a request waits at most
/// <see cref="AuthOptions.KeyWaitSeconds"/> for it, and tokens whose key is already known never wait at all.
/// A failed fetch keeps the keys there were and is retried with backoff.
/// </summary>
public sealed partial class SigningKeyStore : IDisposable
{
    private readonly Func<CancellationToken, Task<JwksDocument>>? _fetchJwks;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private volatile IReadOnlyList<SecurityKey> _keys;
    private Task? _inflight;
    private long? _lastFetchEnded;
    private DateTimeOffset _nextRefresh = DateTimeOffset.MinValue;
    private int _failures;
    private int _waiting;

    private SigningKeyStore(IReadOnlyList<SecurityKey> keys, Func<CancellationToken, Task<JwksDocument>>? fetchJwks, AuthOptions options, TimeProvider time, ILogger logger)
    {
        _keys = keys;
        _fetchJwks = fetchJwks;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Requests waiting for a JWKS fetch right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Fixed keys.</summary>
    public static SigningKeyStore Fixed(IEnumerable<SecurityKey> keys, ILogger logger) =>
        new([.. keys], null, new AuthOptions(), TimeProvider.System, logger);

    /// <summary>Keys from a JWKS document fetched by <paramref name="fetchJwks"/>, refreshed as <paramref name="options"/> say.</summary>
    internal static SigningKeyStore FromJwks(Func<CancellationToken, Task<JwksDocument>> fetchJwks, AuthOptions options, TimeProvider time, ILogger logger) =>
        new([], fetchJwks, options, time, logger);

    /// <summary>The keys matching <paramref name="kid"/> (all keys when the token names none). Never fetches.</summary>
    public IReadOnlyList<SecurityKey> Resolve(string? kid)
    {
        var keys = _keys;
        return string.IsNullOrEmpty(kid) ? keys : [.. keys.Where(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal))];
    }

    /// <summary>
    /// Returns at once when <paramref name="kid"/> is known (or the keys are fixed); otherwise joins the fetch in flight,
    /// or starts one unless the last ended less than <see cref="AuthOptions.KeyRefreshMinSeconds"/> ago, and waits for it
    /// at most <see cref="AuthOptions.KeyWaitSeconds"/>. Never throws for a failed or slow fetch: the token is then
    /// checked against the keys there are.
    /// </summary>
    public async ValueTask EnsureKeyAsync(string? kid, CancellationToken cancellationToken)
    {
        if (_fetchJwks is null || Resolve(kid).Count > 0)
        {
            return;
        }

        Task? fetch;
        lock (_gate)
        {
            fetch = _inflight ?? (_lastFetchEnded is { } ended && _time.GetElapsedTime(ended) < TimeSpan.FromSeconds(_options.KeyRefreshMinSeconds)
                ? null
                : StartFetchLocked());
        }

        if (fetch is null)
        {
            return;
        }

        Interlocked.Increment(ref _waiting);
        try
        {
            await fetch.WaitAsync(TimeSpan.FromSeconds(_options.KeyWaitSeconds), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.KeyWaitTimedOut(_logger, _options.KeyWaitSeconds);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>How long until the next scheduled refresh is due (zero: now).</summary>
    public TimeSpan UntilNextRefresh()
    {
        lock (_gate)
        {
            var left = _nextRefresh - _time.GetUtcNow();
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>The scheduled refresh: joins the fetch in flight or starts one, and waits for it to end.</summary>
    public Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_fetchJwks is null)
        {
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            return (_inflight ?? StartFetchLocked()).WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    private Task StartFetchLocked()
    {
        var fetch = Task.Run(FetchAsync);
        _inflight = fetch;
        return fetch;
    }

    // Runs on its own, so one caller's cancellation never cancels the fetch the others wait for; never faults.
    private async Task FetchAsync()
    {
        var next = TimeSpan.Zero;
        try
        {
            var document = await _fetchJwks!(_disposed.Token).ConfigureAwait(false);
            var keys = new JsonWebKeySet(document.Json).GetSigningKeys().ToList();
            next = JwksCacheLifetime.Bound(document.Lifetime, TimeSpan.FromSeconds(_options.KeyCacheMinSeconds), TimeSpan.FromSeconds(_options.KeyCacheMaxSeconds));
            _keys = keys;
            _failures = 0;
            Log.KeysRefreshed(_logger, keys.Count, (int)next.TotalSeconds);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Any failure (network, HTTP status, JSON, key material) keeps the keys there were.
            // Once disposed, the server is stopping: nothing to report or retry.
            if (!_disposed.IsCancellationRequested)
            {
                _failures++;
                next = Backoff(_failures);
                Log.RefreshFailed(_logger, ex.Message, (int)next.TotalSeconds);
            }
        }
        finally
        {
            lock (_gate)
            {
                _inflight = null;
                _lastFetchEnded = _time.GetTimestamp();
                _nextRefresh = _time.GetUtcNow() + next;
            }
        }
    }

    // 1 s (or the refresh minimum), doubling with every failure in a row, up to the shortest cache lifetime.
    private TimeSpan Backoff(int failures)
    {
        var first = Math.Max(1, _options.KeyRefreshMinSeconds);
        return TimeSpan.FromSeconds(Math.Min(first * Math.Pow(2, Math.Min(failures - 1, 20)), _options.KeyCacheMinSeconds));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Fetched the JWKS: {KeyCount} signing keys, next refresh in {NextSeconds} s")]
        public static partial void KeysRefreshed(ILogger logger, int keyCount, int nextSeconds);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Could not fetch the JWKS, keeping the keys there were: {Reason}; next try in {NextSeconds} s")]
        public static partial void RefreshFailed(ILogger logger, string reason, int nextSeconds);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "A token names an unknown key and the JWKS fetch took longer than {WaitSeconds} s: checked against the keys there are")]
        public static partial void KeyWaitTimedOut(ILogger logger, int waitSeconds);
    }
}
