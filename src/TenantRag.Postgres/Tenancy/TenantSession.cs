using System.Data.Common;
using Npgsql;
using TenantRag.Postgres.Quotas;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// A tenant unit of work on PostgreSQL: a transaction running as <c>authenticated</c> with the tenant and the
/// user's claims set transaction-locally. Rolls back unless committed.
/// </summary>
public sealed class TenantSession : ITenantSession
{
    private readonly DataSourceRegistry.Lease _lease;
    private bool _disposed;

    private TenantSession(TenantContext context, TenantInfo tenant, NpgsqlConnection connection, NpgsqlTransaction transaction, DataSourceRegistry.Lease lease)
    {
        Context = context;
        Tenant = tenant;
        Connection = connection;
        Transaction = transaction;
        _lease = lease;
    }

    /// <inheritdoc />
    public TenantContext Context { get; }

    /// <summary>The catalog entry of the session's tenant.</summary>
    public TenantInfo Tenant { get; }

    /// <inheritdoc />
    public string TenantId => Tenant.Id;

    /// <summary>The connection (Npgsql-typed).</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>The transaction (Npgsql-typed).</summary>
    public NpgsqlTransaction Transaction { get; }

    DbConnection ITenantSession.Connection => Connection;

    DbTransaction ITenantSession.Transaction => Transaction;

    /// <summary>A command bound to this session's transaction.</summary>
    public NpgsqlCommand CreateCommand(string sql) => new(sql, Connection, Transaction);

    /// <summary>Opens a connection from <paramref name="lease"/> and starts a transaction with the context of docs/DESIGN.md §3.</summary>
    internal static async Task<TenantSession> OpenAsync(TenantContext context, TenantInfo tenant, DataSourceRegistry.Lease lease, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = await lease.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

            // One round trip (BEGIN goes out with this batch). Every setting is local to the transaction:
            // is_local = true, never a session SET, so nothing survives into the next borrower of the connection.
            // Policies compare rows with the id of this creation of the tenant, not with its slug; the quota triggers
            // read the tenant's quotas (011_quotas.sql), '' when it has none.
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SET LOCAL ROLE authenticated"),
                    new NpgsqlBatchCommand("SELECT set_config('request.jwt.claims', $1, true), set_config('tenantrag.tenant_id', $2, true), set_config('tenantrag.quotas', $3, true)")
                    {
                        Parameters = { new() { Value = Claims.ToJson(context) }, new() { Value = tenant.Id }, new() { Value = tenant.Quotas.IsNone ? string.Empty : QuotaJson.Write(tenant.Quotas) } },
                    },
                },
            };
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new TenantSession(context, tenant, connection, transaction, lease);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            lease.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Transaction.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await Transaction.DisposeAsync().ConfigureAwait(false);
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _lease.Dispose();
            Closed?.Invoke();
        }
    }

    /// <summary>Called once when the session is disposed (the factory counts each tenant's open sessions).</summary>
    internal Action? Closed { get; set; }
}
