using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TenantRag.Server.Auth;

/// <summary>
/// The bearer token handler: refuses a token of the wrong <see cref="JwtShape"/> before anything else looks at it,
/// then makes sure the key it names is known (<see cref="SigningKeyStore.EnsureKeyAsync"/>: a bounded, asynchronous
/// wait, here and not in the synchronous key resolver), then validates as <see cref="JsonWebTokenHandler"/> does.
/// </summary>
internal sealed class StrictJsonWebTokenHandler : JsonWebTokenHandler
{
    private readonly SigningKeyStore _keys;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;

    public StrictJsonWebTokenHandler(SigningKeyStore keys, AuthOptions options, TimeProvider time)
    {
        _keys = keys;
        _options = options;
        _time = time;
        MapInboundClaims = false;
    }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        // An oversized token is left to the base class, which refuses it without reading it.
        if (!string.IsNullOrEmpty(token) && token.Length <= MaximumTokenSizeInBytes)
        {
            var shape = JwtShape.Read(token, _options.MaxTokenLifetime, TimeSpan.FromSeconds(_options.ClockSkewSeconds), _time.GetUtcNow());
            if (shape.Problem is { } problem)
            {
                return new TokenValidationResult { IsValid = false, Exception = new SecurityTokenMalformedException(problem) };
            }

            await _keys.EnsureKeyAsync(shape.KeyId, CancellationToken.None).ConfigureAwait(false);
        }

        return await base.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
    }
}
