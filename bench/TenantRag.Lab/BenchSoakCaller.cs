namespace TenantRag.Lab;

/// <summary>A user of a tenant, with the development JWT the soak sends as them.</summary>
internal sealed record BenchSoakCaller(string Tenant, string User, string Token);
