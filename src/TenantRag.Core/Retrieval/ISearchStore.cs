using TenantRag.Tenancy;

namespace TenantRag.Retrieval;

/// <summary>Opens read sessions for retrieval: one transaction per query, under the caller's tenant and user.</summary>
public interface ISearchStore
{
    /// <summary>Opens a search session; throws <see cref="TenantNotFoundException"/> for an unknown tenant.</summary>
    Task<ISearchSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default);
}
