using Npgsql;

namespace TenantRag.Postgres.Installation;

/// <summary>Databases made from the installation's migrated template: dedicated tenant databases and the drills' scratch copies.</summary>
internal static class TemplateCopies
{
    /// <summary>
    /// Creates <paramref name="database"/> as a copy of the template, owned by the admin role, that of the login roles
    /// only <paramref name="connectRole"/> may connect to (PUBLIC's default CONNECT is revoked).
    /// </summary>
    /// <param name="server">A superuser or CREATEDB connection to any database of the cluster.</param>
    /// <param name="names">The installation's names.</param>
    /// <param name="database">The new database's name (validated and quoted here).</param>
    /// <param name="connectRole">The one role granted CONNECT.</param>
    /// <param name="cancellationToken">Cancels the statements.</param>
    public static async Task CreateAsync(NpgsqlDataSource server, InstallationNames names, string database, string connectRole, CancellationToken cancellationToken)
    {
        var quoted = Sql.Identifier(database);

        // WAL_LOG (the default) copies the small template block by block: about 0.2 s.
        await ExecuteAsync(server, $"CREATE DATABASE {quoted} TEMPLATE {Sql.Identifier(names.Template)} OWNER {Sql.Identifier(names.AdminRole)}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(server, $"REVOKE ALL ON DATABASE {quoted} FROM PUBLIC; GRANT CONNECT ON DATABASE {quoted} TO {Sql.Identifier(connectRole)}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops <paramref name="database"/> if it exists, ending its sessions (in any process) instead of failing.</summary>
    public static Task DropAsync(NpgsqlDataSource server, string database, CancellationToken cancellationToken) =>
        ExecuteAsync(server, $"DROP DATABASE IF EXISTS {Sql.Identifier(database)} WITH (FORCE)", cancellationToken);

    /// <summary>Runs one statement that takes no parameters.</summary>
    public static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
