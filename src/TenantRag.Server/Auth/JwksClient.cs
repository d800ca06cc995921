using System.Text.Json;

namespace TenantRag.Server.Auth;

/// <summary>
/// Fetches the identity provider's JWKS: from <see cref="AuthOptions.JwksUrl"/>, or from the <c>jwks_uri</c> of the
/// <see cref="AuthOptions.Authority"/>'s discovery document; https only unless <see cref="AuthOptions.RequireHttpsMetadata"/>
/// is off.
/// </summary>
internal sealed class JwksClient(HttpClient http, AuthOptions options, TimeProvider time)
{
    /// <summary>The key set and its cache lifetime.</summary>
    /// <exception cref="HttpRequestException">The provider did not answer, or not with 2xx.</exception>
    /// <exception cref="InvalidOperationException">A URL is not https, or the discovery document names no <c>jwks_uri</c>.</exception>
    public async Task<JwksDocument> FetchAsync(CancellationToken cancellationToken)
    {
        var jwksUrl = options.JwksUrl;
        if (string.IsNullOrWhiteSpace(jwksUrl))
        {
            var discovery = options.Authority!.TrimEnd('/') + "/.well-known/openid-configuration";
            CheckScheme(discovery);
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(discovery), cancellationToken).ConfigureAwait(false));
            jwksUrl = doc.RootElement.TryGetProperty("jwks_uri", out var uri) && uri.ValueKind == JsonValueKind.String ? uri.GetString() : null;
            if (string.IsNullOrWhiteSpace(jwksUrl))
            {
                throw new InvalidOperationException($"{discovery} names no jwks_uri");
            }
        }

        CheckScheme(jwksUrl);
        using var response = await http.GetAsync(new Uri(jwksUrl), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return new JwksDocument(json, JwksCacheLifetime.Of(response, time.GetUtcNow()));
    }

    private void CheckScheme(string url)
    {
        if (options.RequireHttpsMetadata && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{url} is not https; set Auth:RequireHttpsMetadata=false only for local tests");
        }
    }
}
