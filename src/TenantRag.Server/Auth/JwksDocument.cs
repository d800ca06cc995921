namespace TenantRag.Server.Auth;

/// <summary>A fetched JWKS and how long its cache headers allow it to be used (null: they do not say).</summary>
internal sealed record JwksDocument(string Json, TimeSpan? Lifetime);
