using TenantRag.Rag.Embeddings;
using TenantRag.Tenancy;

namespace TenantRag.Server;

/// <summary>Server settings (configuration sections <c>Tenancy</c>, <c>Limits</c> and <c>Embeddings</c>).</summary>
public sealed class ServerOptions
{
    /// <summary>With <c>Auth:TenantPerUser</c>, create a new user's tenant on its first request.</summary>
    public bool AutoProvision { get; set; }

    /// <summary>The model auto-provisioned tenants get.</summary>
    public TenancyMode AutoProvisionMode { get; set; } = TenancyMode.Shared;

    /// <summary>
    /// Auto-provisioning stops once the catalog holds this many tenants (of any kind): every new subject would
    /// otherwise cost a catalog row, and with the dedicated model a database (about 7.5 MB) and a login role.
    /// </summary>
    public int AutoProvisionMaxTenants { get; set; } = 1000;

    /// <summary>Tenants this server auto-provisions per minute at most (a burst of the same size is allowed); over it, 429.</summary>
    public int AutoProvisionPerMinute { get; set; } = 30;

    /// <summary>Requests per second a tenant may make on average (token bucket refill).</summary>
    public int RequestsPerSecond { get; set; } = 100;

    /// <summary>Requests a tenant may burst above the average (token bucket size).</summary>
    public int Burst { get; set; } = 200;

    /// <summary>Uploads one tenant may have in progress at once; more wait in a short queue, then get 429.</summary>
    public int IngestConcurrency { get; set; } = 2;

    /// <summary>
    /// Uploads read (parsed) at once across all tenants, one per tenant, handed out round-robin between tenants (default
    /// 2): bounds how many files are in memory together while no tenant's uploads can queue ahead of another's. Embedding
    /// is shared by turns of a few chunks per tenant, whatever this is.
    /// </summary>
    public int GlobalIngestConcurrency { get; set; } = 2;

    /// <summary>Largest request body in bytes (uploads included).</summary>
    public long MaxRequestBytes { get; set; } = 50L * 1024 * 1024 + 64 * 1024;

    /// <summary>
    /// The arithmetic of the model that embeds search and ask queries: <see cref="EmbeddingPrecision.Int8"/> (default)
    /// takes about a third of the CPU time of <see cref="EmbeddingPrecision.Float32"/> per query, with the same
    /// retrieval quality on SciFact. Uploads always embed in <see cref="EmbeddingPrecision.Float32"/>.
    /// </summary>
    public EmbeddingPrecision QueryPrecision { get; set; } = EmbeddingPrecision.Int8;

    /// <summary>
    /// Whether the upload model's low-priority thread joins the idle cpu cgroup <c>tenantrag-background</c> where the server
    /// may create it (root with a writable cgroup-v1 <c>cpu</c> hierarchy); default true. Set false to leave the host's
    /// cgroups alone; uploads then rely on SCHED_IDLE and their pauses while searches run.
    /// </summary>
    public bool IdleCgroup { get; set; } = true;

    /// <summary>
    /// The cores of CPU time (0 to 1) upload embedding gets at least, whatever the search load (default 0.25): while the
    /// upload threads have had less over the last second, by their own CPU clocks, they run raised (their cgroup at a
    /// session's weight, or SCHED_OTHER where there is no cgroup); above it they go back to idle priority. 0 gives uploads
    /// only the CPU time searches leave idle, which under full search load can be none.
    /// </summary>
    public double MinUploadCpuShare { get; set; } = 0.25;

    /// <summary>Rejects settings no server could run with, naming the key.</summary>
    /// <exception cref="UsageException">
    /// A limit is below 1, the body limit below 1 KiB, the upload CPU share outside 0 to 1, or the precision unknown.
    /// </exception>
    public void Validate()
    {
        foreach (var (key, value) in new (string, long)[]
        {
            ("Limits:RequestsPerSecond", RequestsPerSecond), ("Limits:Burst", Burst), ("Limits:IngestConcurrency", IngestConcurrency),
            ("Limits:GlobalIngestConcurrency", GlobalIngestConcurrency), ("Tenancy:AutoProvisionMaxTenants", AutoProvisionMaxTenants),
            ("Tenancy:AutoProvisionPerMinute", AutoProvisionPerMinute),
        })
        {
            if (value < 1)
            {
                throw new UsageException($"setting {key} is {value}: give 1 or more");
            }
        }

        if (MaxRequestBytes < 1024)
        {
            throw new UsageException($"setting Limits:MaxRequestBytes is {MaxRequestBytes}: give 1024 or more (bytes)");
        }

        if (!(MinUploadCpuShare is >= 0 and <= LowPriorityWorkerOptions.MaxMinCpuShare))
        {
            throw new UsageException(FormattableString.Invariant(
                $"setting Embeddings:MinUploadCpuShare is {MinUploadCpuShare}: give 0 to {LowPriorityWorkerOptions.MaxMinCpuShare} (cores of CPU time uploads get at least, whatever the search load; 0 for none)"));
        }

        if (!Enum.IsDefined(QueryPrecision))
        {
            throw new UsageException(
                $"setting Embeddings:QueryPrecision is {(int)QueryPrecision}, not a precision: use {string.Join(" or ", Enum.GetNames<EmbeddingPrecision>())}");
        }
    }
}
