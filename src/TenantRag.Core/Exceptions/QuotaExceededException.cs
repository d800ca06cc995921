using System.Globalization;
using TenantRag.Tenancy;

namespace TenantRag;

/// <summary>
/// The work would take the tenant past one of its quotas (<see cref="TenantQuota"/>): nothing of it was done. A storage
/// quota (documents, bytes) is answered 413 over HTTP and frees up only as documents are deleted; a rate quota 429 with
/// <c>Retry-After</c>: queries per day at the next UTC midnight, concurrent uploads once an upload in progress finishes.
/// The command line exits 1 with the same words.
/// </summary>
public sealed class QuotaExceededException : TenantRagException
{
    /// <summary>How long a client over its concurrent-uploads quota is asked to wait (an upload job takes seconds).</summary>
    public static readonly TimeSpan UploadRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Creates the error.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="quota">The quota that would be crossed.</param>
    /// <param name="limit">Its value.</param>
    /// <param name="used">What the tenant has used of it so far (stored, queried today, uploads in progress).</param>
    /// <param name="requested">What the refused work would have added (bytes or documents of an upload; 1 query).</param>
    /// <param name="resetsAt">When a rate quota resets (queries per day: the next UTC midnight); null otherwise.</param>
    public QuotaExceededException(TenantSlug tenant, TenantQuota quota, long limit, long used, long requested, DateTimeOffset? resetsAt = null)
        : base(Describe(tenant, quota, limit, used, requested, resetsAt))
    {
        Tenant = tenant;
        Quota = quota;
        Limit = limit;
        Used = used;
        Requested = requested;
        ResetsAt = resetsAt;
    }

    /// <summary>The tenant.</summary>
    public TenantSlug Tenant { get; }

    /// <summary>The quota.</summary>
    public TenantQuota Quota { get; }

    /// <summary>Its value.</summary>
    public long Limit { get; }

    /// <summary>What the tenant has used of it.</summary>
    public long Used { get; }

    /// <summary>What the refused work would have added.</summary>
    public long Requested { get; }

    /// <summary>When the quota resets (the next UTC midnight for queries per day); null for the others.</summary>
    public DateTimeOffset? ResetsAt { get; }

    /// <summary>How long to wait before trying again: null for storage quotas, which waiting does not free.</summary>
    public TimeSpan? RetryAfter(DateTimeOffset now) => Quota switch
    {
        TenantQuota.MaxQueriesPerDay when ResetsAt is { } at => at > now ? at - now : TimeSpan.Zero,
        TenantQuota.MaxConcurrentUploads => UploadRetryAfter,
        _ => null,
    };

    /// <summary>The next UTC midnight after <paramref name="now"/>: when a per-day quota resets.</summary>
    public static DateTimeOffset NextUtcMidnight(DateTimeOffset now) => new(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);

    private static string Describe(TenantSlug tenant, TenantQuota quota, long limit, long used, long requested, DateTimeOffset? resetsAt)
    {
        var name = quota.ToName();
        var value = TenantQuotas.Describe(quota, limit);
        return quota switch
        {
            TenantQuota.MaxDocuments => Invariant($"tenant '{tenant}' is over its quota {name} of {value}: it stores {used:N0} and this upload adds {requested:N0}; nothing was stored. The quota does not reset: delete documents, or have an operator raise it"),
            TenantQuota.MaxBytes => Invariant($"tenant '{tenant}' is over its quota {name} of {value}: it stores {used:N0} bytes and this upload adds {requested:N0}; nothing was stored. The quota does not reset: delete documents, or have an operator raise it"),
            TenantQuota.MaxQueriesPerDay => Invariant($"tenant '{tenant}' used its quota {name} of {value}: {used:N0} queries today (UTC); it resets at {resetsAt:yyyy-MM-ddTHH:mm:ssZ} (the next UTC midnight)"),
            _ => Invariant($"tenant '{tenant}' is at its quota {name} of {value}: {used:N0} uploads in progress; nothing was stored. It frees when one of them finishes: try again in {UploadRetryAfter.TotalSeconds:0} s"),
        };
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
