using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace TenantRag.Server.Auth;

/// <summary>
/// The keys tokens may be signed with: fixed (the development issuer), or fetched from a JWKS and refreshed once,
/// synchronously, when a token names a key id it does not know (key rotation), at most once per
/// <see cref="AuthOptions.KeyRefreshMinSeconds"/> so random key ids cannot make it hammer the provider.
/// </summary>
public sealed partial class SigningKeyStore
{
    private readonly Func<CancellationToken, Task<string>>? _fetchJwks;
    private readonly TimeSpan _minRefresh;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private IReadOnlyList<SecurityKey> _keys;
    private long _lastRefresh = long.MinValue / 2;

    private SigningKeyStore(IReadOnlyList<SecurityKey> keys, Func<CancellationToken, Task<string>>? fetchJwks, TimeSpan minRefresh, ILogger logger)
    {
        _keys = keys;
        _fetchJwks = fetchJwks;
        _minRefresh = minRefresh;
        _logger = logger;
    }

    /// <summary>How many times the JWKS was fetched.</summary>
    public int Refreshes { get; private set; }

    /// <summary>Fixed keys.</summary>
    public static SigningKeyStore Fixed(IEnumerable<SecurityKey> keys, ILogger logger) => new([.. keys], null, TimeSpan.MaxValue, logger);

    /// <summary>Keys from a JWKS document fetched by <paramref name="fetchJwks"/>.</summary>
    public static SigningKeyStore FromJwks(Func<CancellationToken, Task<string>> fetchJwks, TimeSpan minRefresh, ILogger logger) =>
        new([], fetchJwks, minRefresh, logger);

    /// <summary>The keys matching <paramref name="kid"/> (all keys when the token names none), refreshing once if unknown.</summary>
    public IEnumerable<SecurityKey> Resolve(string? kid)
    {
        var keys = Match(kid);
        if (keys.Count > 0 || _fetchJwks is null)
        {
            return keys;
        }

        lock (_gate)
        {
            keys = Match(kid);
            if (keys.Count > 0 || Environment.TickCount64 - _lastRefresh < (long)_minRefresh.TotalMilliseconds)
            {
                return keys;
            }

            _lastRefresh = Environment.TickCount64;
            try
            {
                // The resolver is synchronous; this runs at most once per refresh window.
                var json = _fetchJwks(CancellationToken.None).GetAwaiter().GetResult();
                _keys = [.. new JsonWebKeySet(json).GetSigningKeys()];
                Refreshes++;
                Log.KeysRefreshed(_logger, _keys.Count);
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or ArgumentException or TaskCanceledException)
            {
                Log.RefreshFailed(_logger, ex.Message);
            }

            return Match(kid);
        }
    }

    private List<SecurityKey> Match(string? kid)
    {
        var keys = _keys;
        return string.IsNullOrEmpty(kid) ? [.. keys] : [.. keys.Where(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal))];
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Fetched the JWKS: {KeyCount} signing keys")]
        public static partial void KeysRefreshed(ILogger logger, int keyCount);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Could not fetch the JWKS: {Reason}")]
        public static partial void RefreshFailed(ILogger logger, string reason);
    }
}
