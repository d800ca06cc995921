using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TenantRag.Rag.Observability;

/// <summary>
/// Where TenantRag's own traces and metrics come from: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both
/// named <see cref="Name"/>, and the tags they carry. Tags, span names and attributes hold tenant slugs, ids, stages and
/// outcomes: never document text, queries, prompts or tokens.
/// </summary>
public static class TenantRagTelemetry
{
    /// <summary>The name of the activity source and of the meter (<c>AddSource</c>, <c>AddMeter</c>).</summary>
    public const string Name = "TenantRag";

    /// <summary>The tag that names the tenant: its slug.</summary>
    public const string TenantTag = "tenantrag.tenant";

    // For services built without a meter factory (the command line, tests): free while nothing listens.
    private static readonly Meter SharedMeter = new(Name);

    /// <summary>The spans of searches and upload jobs.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    /// <summary>The <see cref="Name"/> meter of <paramref name="factory"/> (the host's), or one of the process's own without one.</summary>
    /// <param name="factory">The host's meter factory; null for the process-wide meter.</param>
    public static Meter Meter(IMeterFactory? factory) => factory?.Create(Name) ?? SharedMeter;

    /// <summary>
    /// Marks <paramref name="activity"/> failed with the exception's type (<c>error.type</c>); not its message, which can
    /// quote what the caller sent.
    /// </summary>
    public static void Failed(Activity activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(exception);
        activity.SetStatus(ActivityStatusCode.Error).SetTag("error.type", exception.GetType().FullName);
    }
}
