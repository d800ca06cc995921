using TenantRag.Postgres;
using TenantRag.Tenancy;

namespace TenantRag.Testing;

/// <summary>Writes tenant rows the way the application does: through a tenant session, under row-level security.</summary>
public static class TenantRows
{
    /// <summary>The user the helpers write as unless told otherwise.</summary>
    public const string DefaultUser = "writer";

    /// <summary>Inserts one document per title (visibility 'tenant') in one committed session; returns their ids.</summary>
    public static async Task<IReadOnlyList<Guid>> InsertDocumentsAsync(TenantRagDatabase database, TenantSlug tenant, params string[] titles)
    {
        var ct = Xunit.TestContext.Current.CancellationToken;
        var ids = new List<Guid>();
        await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant, UserId.Parse(DefaultUser)), ct).ConfigureAwait(false);
        foreach (var title in titles)
        {
            await using var cmd = session.CreateCommand("INSERT INTO documents (title, content_hash) VALUES ($1, md5($1)) RETURNING id");
            cmd.Parameters.Add(new() { Value = title });
            ids.Add((Guid)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!);
        }

        await session.CommitAsync(ct).ConfigureAwait(false);
        return ids;
    }

    /// <summary>
    /// A misrouted write, planted past row-level security as the superuser: documents of <paramref name="owner"/> in
    /// <paramref name="database"/>, where that tenant does not live (it is registered there too, as the bug would have
    /// to do: the registry's foreign keys refuse rows of unregistered tenants).
    /// </summary>
    public static async Task PlantAsync(PostgresServer server, string database, TenantInfo owner, params string[] titles)
    {
        await server.ExecuteAsync(database, "INSERT INTO tenantrag.tenant_registry (id, slug) VALUES ($1, $2) ON CONFLICT DO NOTHING", owner.Id, owner.Slug.Value).ConfigureAwait(false);
        foreach (var title in titles)
        {
            await server.ExecuteAsync(database, "INSERT INTO documents (tenant_id, owner_id, title, content_hash) VALUES ($1, $2, $3, md5($3))",
                owner.Id, DefaultUser, title).ConfigureAwait(false);
        }
    }

    /// <summary>Inserts <paramref name="count"/> chunks of <paramref name="documentId"/> in one committed session.</summary>
    public static async Task InsertChunksAsync(TenantRagDatabase database, TenantSlug tenant, Guid documentId, int count)
    {
        var ct = Xunit.TestContext.Current.CancellationToken;
        await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant, UserId.Parse(DefaultUser)), ct).ConfigureAwait(false);
        await using var cmd = session.CreateCommand("INSERT INTO chunks (document_id, ordinal, content) SELECT $1, n, 'chunk ' || n FROM generate_series(0, $2 - 1) n");
        cmd.Parameters.Add(new() { Value = documentId });
        cmd.Parameters.Add(new() { Value = count });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await session.CommitAsync(ct).ConfigureAwait(false);
    }
}
