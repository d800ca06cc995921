using System.Net.Sockets;
using Npgsql;
using TenantRag.Postgres.Pooler;

namespace TenantRag.Postgres.Fleet;

/// <summary>
/// What a server's pooler must do before the fleet sends sessions through it (<c>server add|set --pooler-url</c>): let
/// the serving role in, run a transaction (statement pooling cannot), and reach that server's shared database, not
/// another server's (compared by system identifier and start time) and not a standby. Each failure is one message
/// naming what is wrong. Reads only; changes nothing. No message quotes a password: PgBouncer's and PostgreSQL's
/// messages name roles and databases only.
/// </summary>
internal static class PoolerCheck
{
    // Who answers: the cluster (its system identifier and when its postmaster started), whether it is a standby, and
    // as whom, in which database.
    private const string Probe = """
        SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' || pg_postmaster_start_time()::text,
               pg_is_in_recovery(), current_user::text, current_database()::text
        """;

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Whether anything listens at the pooler's address, before a server is installed: the most common mistake, caught before any change.</summary>
    /// <exception cref="TenantRagException">Nothing does.</exception>
    public static async Task AnswersAsync(string name, PoolerEndpoint pooler, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(pooler.Host, pooler.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw NotAnswering(name, pooler, ex is SocketException socket ? socket.Message : "no answer within 10 s");
        }
    }

    /// <summary>
    /// Logs in through <paramref name="pooler"/> as the serving role of <paramref name="server"/> (an installation
    /// routed through that pooler), runs a transaction there, and compares who answered with the server reached directly.
    /// </summary>
    /// <exception cref="TenantRagException">Anything of that fails; the message names it and says nothing changed.</exception>
    public static async Task CheckAsync(string name, Installation.Installation server, PoolerEndpoint pooler, CancellationToken cancellationToken)
    {
        var names = server.Names;
        var where = $"server '{name}' ({server.Endpoint.Host}:{server.Endpoint.Port})";
        (string Cluster, bool Standby, string User, string Database) through;
        try
        {
            through = await ProbeAsync(server.AppConnectionString(names.Shared, 1), inTransaction: true, cancellationToken).ConfigureAwait(false);
        }
        // PgBouncer answers a role its auth_file lacks (or a wrong password) with "SASL authentication failed", SQLSTATE
        // 08P01, rather than PostgreSQL's 28P01; the server behind it, with 28P01 or 28000.
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
            || ex.MessageText.Contains("no such user", StringComparison.OrdinalIgnoreCase) || ex.MessageText.Contains("authentication failed", StringComparison.OrdinalIgnoreCase))
        {
            throw new TenantRagException($"the pooler at {pooler} does not let the serving role {names.AppRole} in ({Describe(ex)}): give it that role with its password of secrets.json (its auth_file, or auth_query), then run the command again; nothing changed", ex);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName || ex.MessageText.Contains("no such database", StringComparison.OrdinalIgnoreCase))
        {
            throw new TenantRagException($"the pooler at {pooler} has no database {names.Shared} ({Describe(ex)}): its [databases] must send {names.Shared} (or every database, '*') to {where}; nothing changed", ex);
        }
        catch (PostgresException ex)
        {
            throw new TenantRagException($"the pooler at {pooler} refused the serving role's transaction on {names.Shared} ({Describe(ex)}): it must be a PgBouncer in transaction mode in front of {where}; nothing changed", ex);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw NotAnswering(name, pooler, ex.InnerException?.Message ?? ex.Message);
        }

        var direct = await ProbeAsync(server.AdminConnectionString(names.Shared), inTransaction: false, cancellationToken).ConfigureAwait(false);
        if (through.Cluster != direct.Cluster)
        {
            throw new TenantRagException($"the pooler at {pooler} reaches another PostgreSQL server, not {where}: point its [databases] entry at {server.Endpoint.Host}:{server.Endpoint.Port}; nothing changed");
        }

        if (through.Standby)
        {
            throw new TenantRagException($"the pooler at {pooler} reaches a standby (in recovery), where tenants cannot write: point it at {where} itself; nothing changed");
        }

        if (through.User != names.AppRole || through.Database != names.Shared)
        {
            throw new TenantRagException($"the pooler at {pooler} logs the serving role in as '{through.User}' to '{through.Database}': it must forward {names.AppRole} to {names.Shared} unchanged (no user= or dbname= in its [databases] entry); nothing changed");
        }
    }

    private static TenantRagException NotAnswering(string name, PoolerEndpoint pooler, string why) =>
        new($"server '{name}': the pooler at {pooler} does not answer ({why}): start it, or correct --pooler-url; nothing changed");

    private static string Describe(PostgresException ex) => $"{ex.MessageText}, SQLSTATE {ex.SqlState}";

    private static async Task<(string Cluster, bool Standby, string User, string Database)> ProbeAsync(string connectionString, bool inTransaction, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = (int)AnswerTimeout.TotalSeconds };
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // Through the pooler, in a transaction block as every tenant session is: statement pooling refuses it.
        await using var tx = inTransaction ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
        await using var cmd = new NpgsqlCommand(Probe, connection, tx);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var answer = (reader.GetString(0), reader.GetBoolean(1), reader.GetString(2), reader.GetString(3));
        await reader.DisposeAsync().ConfigureAwait(false);
        if (tx is not null)
        {
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return answer;
    }
}
