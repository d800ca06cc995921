using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

public sealed partial class RetrievalEvaluator
{
    private const string ActiveStatus = "active";

    /// <summary>Creates the tenants that do not exist yet; reuses those that do (after deleting them with <see cref="EvaluationOptions.Fresh"/>).</summary>
    private async Task EnsureTenantsAsync(IReadOnlyList<EvaluationTenant> tenants, EvaluationOptions options, IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        var created = 0;
        var deleted = 0;
        foreach (var tenant in tenants)
        {
            var existing = await _catalog.FindAsync(tenant.Slug, cancellationToken).ConfigureAwait(false);
            if (existing is not null && options.Fresh)
            {
                await _catalog.DeleteAsync(tenant.Slug, cancellationToken).ConfigureAwait(false);
                deleted++;
                existing = null;
            }

            if (existing is null)
            {
                try
                {
                    await _catalog.CreateAsync(tenant.Slug, options.Mode, cancellationToken).ConfigureAwait(false);
                    created++;
                    continue;
                }
                catch (TenantAlreadyExistsException)
                {
                    // Another process created it in the meantime: check it like any existing tenant.
                    existing = await _catalog.FindAsync(tenant.Slug, cancellationToken).ConfigureAwait(false)
                        ?? throw new TenantRagException($"tenant '{tenant.Slug}' was created and deleted by another process while eval ran: run eval again");
                }
            }

            if (!string.Equals(existing.Status, ActiveStatus, StringComparison.Ordinal))
            {
                throw new TenantRagException(
                    $"evaluation tenant '{tenant.Slug}' has status '{existing.Status}' (an interrupted create or delete): run 'tenantrag tenant delete {tenant.Slug}', or eval with --fresh");
            }

            if (existing.Mode != options.Mode)
            {
                throw new UsageException(
                    $"evaluation tenant '{tenant.Slug}' exists in {existing.Mode.ToName()} mode, not {options.Mode.ToName()}: pass --mode {existing.Mode.ToName()}, or --fresh to recreate it");
            }
        }

        progress?.Report($"tenants: {tenants.Count} ({created} created, {tenants.Count - created} reused{(deleted > 0 ? $", {deleted} deleted first" : string.Empty)}; {options.Mode.ToName()} mode)");
    }
}
