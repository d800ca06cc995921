namespace TenantRag.Postgres.Tenancy;

/// <summary>What a tenant costs while it is not idle: memory of serving processes and open connections.</summary>
/// <param name="CacheBytes">Bytes of retrieval indexes and query vectors held for it by serving processes.</param>
/// <param name="Connections">Connections open for it (see <see cref="TenantHoldings"/> for how they are counted).</param>
public readonly record struct TenantHolding(long CacheBytes, int Connections);
