using System.Globalization;

namespace TenantRag.Postgres.Pooler;

/// <summary>
/// Where a server's transaction pooler listens (<c>tenantrag server add|set --pooler-url</c>): a host and a port,
/// never a user or a password, since the serving role logs in through it as itself, with its password of
/// <c>secrets.json</c>.
/// </summary>
public sealed record PoolerEndpoint
{
    /// <summary>Host name or address (an IPv6 address without brackets).</summary>
    public required string Host { get; init; }

    /// <summary>TCP port.</summary>
    public required int Port { get; init; }

    /// <summary><c>host:port</c> (an IPv6 address in brackets), as <c>Database:PoolerUrl</c> takes it.</summary>
    public string Address => Host.Contains(':', StringComparison.Ordinal)
        ? string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}")
        : string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    /// <inheritdoc />
    public override string ToString() => Address;

    /// <summary>
    /// Parses <paramref name="text"/>: <c>postgres://host[:port][/database]</c> (port 5432 when left out) or
    /// <c>host:port</c>. A database, when named, must be <paramref name="sharedDatabase"/>: the pooler is in front of
    /// the server's shared database. A URL with a user or a password is refused without being quoted.
    /// </summary>
    /// <param name="text">The value as given.</param>
    /// <param name="option">The option or setting it came from, for the message (<c>--pooler-url</c>).</param>
    /// <param name="sharedDatabase">The installation's shared database.</param>
    /// <exception cref="UsageException">It is none of those.</exception>
    public static PoolerEndpoint Parse(string? text, string option, string sharedDatabase)
    {
        ArgumentNullException.ThrowIfNull(sharedDatabase);
        var value = text?.Trim() ?? string.Empty;
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseAddress(value) ?? throw new UsageException(
                $"invalid {option} '{(value.Contains('@', StringComparison.Ordinal) ? "..." : UsageException.Echo(value))}': give postgres://host:port of a PgBouncer in transaction mode in front of the server's shared database (or host:port)");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            // Not quoted: a malformed URL may still hold a password.
            throw new UsageException($"{option} is not a valid postgres://host:port URL");
        }

        if (uri.UserInfo.Length > 0)
        {
            throw new UsageException($"{option} must carry no user or password: the serving role logs in through the pooler as itself, with its password of secrets.json (the pooler's auth_file must hold it)");
        }

        if (uri.Query.Length > 1 || uri.Fragment.Length > 0)
        {
            throw new UsageException($"{option} takes no parameters: the pooler is reached with the server's own sslmode (of its --url)");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0 && database != sharedDatabase)
        {
            throw new UsageException($"{option} names the database '{UsageException.Echo(database)}': the pooler must be in front of the server's shared database {sharedDatabase} (name that, or no database)");
        }

        return new PoolerEndpoint { Host = uri.Host.Trim('[', ']'), Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port };
    }

    /// <summary><c>host:port</c> with a port from 1 to 65535 and a valid host name or address; null when it is not that.</summary>
    internal static PoolerEndpoint? TryParseAddress(string? text)
    {
        var value = text?.Trim() ?? string.Empty;
        var colon = value.LastIndexOf(':');
        if (colon > 0 && int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is >= 1 and <= 65535 && value[..colon].Trim('[', ']') is var host && Uri.CheckHostName(host) != UriHostNameType.Unknown)
        {
            return new PoolerEndpoint { Host = host, Port = port };
        }

        return null;
    }
}
