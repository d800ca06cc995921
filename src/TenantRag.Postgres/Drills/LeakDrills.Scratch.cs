using System.Security.Cryptography;
using Npgsql;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Drills;

public sealed partial class LeakDrills
{
    /// <summary>
    /// The Neon tutorial's step 4 on a scratch copy of the template (never the live shared database): with row-level
    /// security disabled a tenant sees another tenant's rows; enabled again, it does not. Passes when both hold.
    /// </summary>
    public async Task<DrillResult> RunRlsDisabledAsync(CancellationToken cancellationToken = default)
    {
        var scratch = $"{Installation.Names.Prefix}_scratch_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        using (var server = database.Registry.Admin(Installation, Installation.Names.Catalog))
        {
            await TemplateCopies.CreateAsync(server.DataSource, Installation.Names, scratch, Installation.Names.AppRole, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // The admin bypasses RLS: seed one row for each of two scratch tenants.
            await using var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Installation.AdminConnectionString(scratch)) { Pooling = false }.ConnectionString);
            await ExecuteAsync(admin, """
                INSERT INTO tenantrag.tenant_registry (id, slug) VALUES ('scratch-a', 'scratch-a'), ('scratch-b', 'scratch-b');
                INSERT INTO public.documents (tenant_id, owner_id, title, content_hash) VALUES
                    ('scratch-a', 'alice', 'A''s document', 'a'), ('scratch-b', 'bob', 'B''s secret', 'b')
                """, cancellationToken).ConfigureAwait(false);

            await using var registry = new DataSourceRegistry(TimeSpan.FromMinutes(1));
            var connectionString = new NpgsqlConnectionStringBuilder(Installation.AppConnectionString(scratch, 1)) { Pooling = false }.ConnectionString;
            var tenant = new TenantInfo
            {
                Slug = TenantSlug.Parse("scratch-a"),
                Id = "scratch-a",
                Mode = TenancyMode.Shared,
                Database = scratch,
                Server = Installation.ServerId,
                Status = "active",
                CreatedAt = DateTimeOffset.UtcNow,
            };

            async Task<long> ForeignRowsSeenAsync()
            {
                await using var session = await TenantSession.OpenAsync(TenantContext.For(tenant.Slug, UserId.Parse("alice")), tenant,
                    registry.Acquire("scratch", () => connectionString), cancellationToken).ConfigureAwait(false);
                return await ScalarAsync<long>(session.CreateCommand("SELECT count(*) FROM public.documents WHERE tenant_id <> 'scratch-a'"), cancellationToken).ConfigureAwait(false);
            }

            var before = await ForeignRowsSeenAsync().ConfigureAwait(false);
            await ExecuteAsync(admin, "ALTER TABLE public.documents DISABLE ROW LEVEL SECURITY", cancellationToken).ConfigureAwait(false);
            var disabled = await ForeignRowsSeenAsync().ConfigureAwait(false);
            await ExecuteAsync(admin, "ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY", cancellationToken).ConfigureAwait(false);
            var after = await ForeignRowsSeenAsync().ConfigureAwait(false);

            return new DrillResult
            {
                Name = "rls-disabled-scratch",
                Model = "shared",
                Passed = before == 0 && disabled > 0 && after == 0,
                Attempt = $"on scratch database {scratch}: DISABLE ROW LEVEL SECURITY, query, ENABLE again",
                Observed = $"foreign rows seen: {before} with RLS, {disabled} with RLS disabled (the leak the policies prevent), {after} after re-enabling",
            };
        }
        finally
        {
            using var server = database.Registry.Admin(Installation, Installation.Names.Catalog);
            await TemplateCopies.DropAsync(server.DataSource, scratch, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken) =>
        TemplateCopies.ExecuteAsync(dataSource, sql, cancellationToken);
}
