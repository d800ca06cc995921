using Npgsql;

namespace TenantRag.Postgres.Cluster;

/// <summary>
/// Where the PostgreSQL server is and how to reach it as the bootstrap role (the role that creates
/// TenantRag's roles and databases: the embedded cluster's superuser, or the user of <c>TENANTRAG_DATABASE_URL</c>).
/// </summary>
public sealed record ServerEndpoint
{
    /// <summary>Host name or address.</summary>
    public required string Host { get; init; }

    /// <summary>TCP port.</summary>
    public required int Port { get; init; }

    /// <summary>The bootstrap role.</summary>
    public required string BootstrapUsername { get; init; }

    /// <summary>Its password.</summary>
    public required string BootstrapPassword { get; init; }

    /// <summary>The maintenance database to connect to for bootstrap work.</summary>
    public string BootstrapDatabase { get; init; } = "postgres";

    /// <summary>True for the cluster this project starts under <c>$TENANTRAG_HOME</c>.</summary>
    public bool IsEmbedded { get; init; }

    /// <summary>Extra connection settings from the URL (e.g. SSL Mode).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    /// <summary>A connection string for <paramref name="username"/> on <paramref name="database"/>.</summary>
    public NpgsqlConnectionStringBuilder ConnectionString(string username, string password, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Username = username,
            Password = password,
            Database = database,
            ApplicationName = "tenantrag",
            Timeout = 15,
        };
        foreach (var (key, value) in Extra)
        {
            builder[key] = value;
        }

        return builder;
    }

    /// <summary>The bootstrap role's connection string to the maintenance database.</summary>
    public NpgsqlConnectionStringBuilder BootstrapConnectionString() =>
        ConnectionString(BootstrapUsername, BootstrapPassword, BootstrapDatabase);

    /// <summary>
    /// Parses <c>TENANTRAG_DATABASE_URL</c>: a <c>postgres://user:password@host:port/database?sslmode=...</c> URL or
    /// an Npgsql key=value connection string.
    /// </summary>
    public static ServerEndpoint Parse(string url)
    {
        const string hint = "set TENANTRAG_DATABASE_URL to postgres://user:password@host:5432/postgres or 'Host=...;Username=...;Password=...'";
        try
        {
            if (url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            {
                var uri = new Uri(url);
                var userInfo = uri.UserInfo.Split(':', 2);
                var extra = new Dictionary<string, string>();
                foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    var kv = pair.Split('=', 2);
                    var key = Uri.UnescapeDataString(kv[0]).ToLowerInvariant() switch
                    {
                        "sslmode" => "SSL Mode",
                        var other => throw new ConfigurationException($"TENANTRAG_DATABASE_URL: unsupported parameter '{other}' (only sslmode)"),
                    };
                    extra[key] = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
                }

                return new ServerEndpoint
                {
                    Host = uri.Host,
                    Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
                    BootstrapUsername = Uri.UnescapeDataString(userInfo[0]),
                    BootstrapPassword = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : string.Empty,
                    BootstrapDatabase = uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? Uri.UnescapeDataString(db) : "postgres",
                    Extra = extra,
                };
            }

            var builder = new NpgsqlConnectionStringBuilder(url);
            return new ServerEndpoint
            {
                Host = builder.Host ?? throw new ConfigurationException($"TENANTRAG_DATABASE_URL has no host: {hint}"),
                Port = builder.Port,
                BootstrapUsername = builder.Username ?? throw new ConfigurationException($"TENANTRAG_DATABASE_URL has no username: {hint}"),
                BootstrapPassword = builder.Password ?? string.Empty,
                BootstrapDatabase = builder.Database ?? "postgres",
            };
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
        {
            // Never echo the URL: it holds a password.
            throw new ConfigurationException($"TENANTRAG_DATABASE_URL is not a valid URL or connection string: {hint}", ex);
        }
    }
}
