namespace TenantRag.Postgres.Installation;

/// <summary>
/// The directory holding this installation's private state: the embedded cluster's data directory, its log,
/// and the generated secrets. <c>$TENANTRAG_HOME</c>, default <c>./.tenantrag</c>.
/// </summary>
public sealed class TenantRagHome
{
    /// <summary>Uses <paramref name="root"/> as the home directory (made absolute).</summary>
    public TenantRagHome(string root) => Root = Path.GetFullPath(root);

    /// <summary>The home directory.</summary>
    public string Root { get; }

    /// <summary>The embedded cluster's data directory.</summary>
    public string DataDirectory => Path.Combine(Root, "pgdata");

    /// <summary>The embedded server's log file.</summary>
    public string LogFile => Path.Combine(Root, "postgres.log");

    /// <summary>The generated passwords and keys (mode 0600).</summary>
    public string SecretsFile => Path.Combine(Root, "secrets.json");

    /// <summary>Where named embedded clusters live (<c>tenantrag db start --name</c>), one directory each.</summary>
    public string ClustersDirectory => Path.Combine(Root, "clusters");

    /// <summary>Where the admin credentials of added servers are kept (<c>tenantrag server add</c>), one 0600 file each.</summary>
    public string ServersDirectory => Path.Combine(Root, "servers");

    /// <summary>
    /// The home of the named embedded cluster <paramref name="name"/> (already validated): its own data directory,
    /// log, lock and superuser password under <see cref="ClustersDirectory"/>.
    /// </summary>
    public TenantRagHome Cluster(string name) => new(Path.Combine(ClustersDirectory, name));

    /// <summary>The home named by <c>TENANTRAG_HOME</c>, else <c>./.tenantrag</c>.</summary>
    public static TenantRagHome FromEnvironment() =>
        new(Environment.GetEnvironmentVariable("TENANTRAG_HOME") is { Length: > 0 } home ? home : ".tenantrag");

    /// <summary>Creates the directory if needed; readable by its owner only.</summary>
    public void EnsureExists()
    {
        if (!Directory.Exists(Root))
        {
            // A named cluster's home sits two levels down: the directories between are made traversable the same way.
            Directory.CreateDirectory(Path.GetDirectoryName(Root)!);
            Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }
}
