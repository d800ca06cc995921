using System.Reflection;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>The real <c>tenantrag</c> this test assembly was built beside (its path is recorded by the project file).</summary>
internal static class TenantRagCli
{
    /// <summary>The path of <c>tenantrag.dll</c>.</summary>
    public static string Assembly { get; } =
        typeof(TenantRagCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "TenantRagCli")?.Value
        ?? throw new InvalidOperationException("the test assembly does not record where tenantrag.dll is (see TenantRag.Postgres.Tests.csproj)");

    /// <summary>A runner of the command line against <paramref name="server"/>.</summary>
    public static CliRunner For(PostgresServer server) => new(server, Assembly);

    /// <summary>
    /// A runner of the command line against <paramref name="server"/> on an installation of its own,
    /// <paramref name="prefix"/>, so that its test class need not wait for the others that use the command line.
    /// </summary>
    public static CliRunner For(PostgresServer server, string prefix) => new(server, Assembly) { Prefix = prefix };
}
