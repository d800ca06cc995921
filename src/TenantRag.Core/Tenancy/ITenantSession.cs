using System.Data.Common;

namespace TenantRag.Tenancy;

/// <summary>
/// One unit of tenant work: an open transaction whose role and context (tenant, user claims) were set with
/// transaction-local settings, so nothing of it survives into the next user of the pooled connection.
/// Disposing without <see cref="CommitAsync"/> rolls back.
/// </summary>
public interface ITenantSession : IAsyncDisposable
{
    /// <summary>Whose session this is.</summary>
    TenantContext Context { get; }

    /// <summary>The id of the tenant's creation the session is bound to: the <c>tenant_id</c> of its rows.</summary>
    string TenantId { get; }

    /// <summary>The connection, only for commands inside <see cref="Transaction"/>.</summary>
    DbConnection Connection { get; }

    /// <summary>The transaction every command must run in.</summary>
    DbTransaction Transaction { get; }

    /// <summary>Commits the unit of work.</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);
}
