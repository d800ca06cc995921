using Npgsql;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Tells every serving process (its <see cref="CatalogListener"/>) that a catalog entry it may have cached changed: a
/// tenant's row changed where or whether it is served (created, deleted, its status, server, database or model
/// switched), or a server's address or status changed. Sent with <c>pg_notify</c> on the catalog database, in the
/// transaction that makes the change, so PostgreSQL delivers it only if that transaction commits, and only after.
/// A notification carries no data: it only makes the listeners drop their entry and read the catalog again.
/// </summary>
internal static class CatalogNotifications
{
    /// <summary>The channel of tenant rows; the payload is the tenant's slug, or <see cref="Everything"/>.</summary>
    public const string TenantsChannel = "tenantrag_catalog";

    /// <summary>The channel of server rows; the payload is the server's name, or <see cref="Everything"/>.</summary>
    public const string ServersChannel = "tenantrag_servers";

    /// <summary>The payload that drops every cached entry of its channel.</summary>
    public const string Everything = "*";

    /// <summary>
    /// Notifies that tenant <paramref name="slug"/>'s catalog row changed, when <paramref name="transaction"/> (on the
    /// catalog database) commits. Call it in the transaction that changes the row: a move's switch, a create, a delete.
    /// </summary>
    public static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TenantSlug slug, CancellationToken cancellationToken) =>
        SendAsync(connection, transaction, TenantsChannel, slug.Value, cancellationToken);

    /// <summary>Notifies that server <paramref name="serverId"/>'s catalog row changed, when <paramref name="transaction"/> commits.</summary>
    public static Task NotifyServerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string serverId, CancellationToken cancellationToken) =>
        SendAsync(connection, transaction, ServersChannel, serverId, cancellationToken);

    private static async Task SendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string channel, string payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await using var cmd = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction);
        cmd.Parameters.Add(new() { Value = channel });
        cmd.Parameters.Add(new() { Value = payload });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
