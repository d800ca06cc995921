using System.CommandLine;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;

namespace TenantRag.Lab;

/// <summary>
/// What a bench command gets from the command line that hosts it (<c>tenantrag</c>'s <c>CliContext</c>): its parsed
/// arguments, the output format, the installation and the database on demand. The host fills it in; the lab never
/// opens a database or prints JSON its own way.
/// </summary>
/// <param name="parse">The parsed command line.</param>
/// <param name="json">True when the output is JSON (<c>--json</c>).</param>
/// <param name="home">The installation's home.</param>
/// <param name="isExternal">True when the database is an external server, not the embedded cluster.</param>
/// <param name="openDatabase">Opens the installation (start-up, bootstrap and migrations included).</param>
/// <param name="writeJson">Prints one value as the host prints JSON.</param>
/// <param name="cancellationToken">Cancelled when the command is interrupted.</param>
public sealed class BenchContext(ParseResult parse, bool json, TenantRagHome home, bool isExternal,
    Func<TenancyOptions?, Task<TenantRagDatabase>> openDatabase, Action<object> writeJson, CancellationToken cancellationToken)
{
    /// <summary>The parsed command line.</summary>
    public ParseResult Parse { get; } = parse;

    /// <summary>True when the output is JSON (<c>--json</c>): figures go to stdout as one document, progress to stderr.</summary>
    public bool Json { get; } = json;

    /// <summary>The installation's home (its cluster, secrets and development issuer).</summary>
    public TenantRagHome Home { get; } = home;

    /// <summary>True when the database is an external server: PostgreSQL's CPU cannot be read then.</summary>
    public bool IsExternal { get; } = isExternal;

    /// <summary>Cancelled when the command is interrupted.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Opens the installation (the benchmarks pass their own prefix, <c>tenantrag_bench</c>).</summary>
    public Task<TenantRagDatabase> OpenDatabaseAsync(TenancyOptions? options = null) => openDatabase(options);

    /// <summary>Prints <paramref name="value"/> as the host prints JSON.</summary>
    public void WriteJson<T>(T value)
        where T : notnull => writeJson(value);
}
