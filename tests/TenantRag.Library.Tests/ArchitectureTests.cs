using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NetArchTest.Rules;
using TenantRag.Hosting;
using TenantRag.Server;

namespace TenantRag.Library.Tests;

/// <summary>
/// The boundary, checked on the compiled code: what serves requests reaches tenant data only through tenant sessions,
/// never through the operator service, the admin role's connection strings or the raw pools.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>The operator surface: the admin role, the pools, migrations, audit, drills, re-embedding, the cluster.</summary>
    private static readonly string[] OperatorTypes =
    [
        "TenantRag.Postgres.TenantRagDatabase",
        "TenantRag.Postgres.Installation.Installation",
        "TenantRag.Postgres.Installation.Installer",
        "TenantRag.Postgres.Installation.Secrets",
        "TenantRag.Postgres.Tenancy.DataSourceRegistry",
        "TenantRag.Postgres.Tenancy.PostgresTenantCatalog",
        "TenantRag.Postgres.Tenancy.TenantConnectionFactory",
        "TenantRag.Postgres.Documents.PostgresReembedStore",
        "TenantRag.Postgres.Audit",
        "TenantRag.Postgres.Drills",
        "TenantRag.Postgres.Schema",
        "TenantRag.Postgres.Cluster",
        "Npgsql.NpgsqlDataSource",
    ];

    [Fact]
    public void ServingCode_ReferencesNoOperatorType()
    {
        // Every type of the server library but the composition root (TenantRag.Hosting, and TenantRagServer, which hands
        // an installation the command line opened to that registration).
        var result = Types.InAssembly(typeof(TenantRagServer).Assembly)
            .That().DoNotResideInNamespace("TenantRag.Hosting").And().DoNotHaveName(nameof(TenantRagServer))
            .ShouldNot().HaveDependencyOnAny(OperatorTypes)
            .GetResult();

        Assert.True(result.IsSuccessful, "serving code references operator types: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void TheRuleSeesAViolation_TheCommandLineIsAnOperatorTool()
    {
        // The same rule over the command line, which is allowed operator types and uses them: it must fail there, or
        // the rule above could pass for the wrong reason (a rule that matches nothing).
        var result = Types.InAssembly(Assembly.LoadFrom(BuiltAssemblies.CommandLine))
            .Should().NotHaveDependencyOnAny(OperatorTypes)
            .GetResult();

        Assert.False(result.IsSuccessful);
        Assert.Contains(result.FailingTypeNames, name => name.StartsWith("TenantRag.Cli.Commands.AuditCommand", StringComparison.Ordinal));
    }

    [Fact]
    public void RetrievalAndGeneration_KnowNoDatabase()
    {
        // The RAG library works on the Core ports; PostgreSQL is behind them.
        var result = Types.InAssembly(typeof(TenantRag.Rag.Retrieval.Search.SearchService).Assembly)
            .ShouldNot().HaveDependencyOnAny("TenantRag.Postgres", "Npgsql")
            .GetResult();

        Assert.True(result.IsSuccessful, "the RAG library references the database layer: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void ServingRegistration_GivesNoOperatorService()
    {
        // What a request handler can be given is what AddTenantRag and AddTenantRagApi register: not the operator service.
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TenantRag:Auth:JwksUrl"] = "https://issuer.test/jwks.json",
            ["TenantRag:Home"] = Path.Combine(Path.GetTempPath(), "tenantrag-arch-" + Guid.NewGuid().ToString("N")),
        }).Build();

        services.AddTenantRag(configuration).AddTenantRagApi();

        var registered = services.Select(s => s.ServiceType.FullName ?? "").ToArray();
        Assert.DoesNotContain(registered, name => OperatorTypes.Any(name.StartsWith));
        Assert.Contains(typeof(TenantRag.Tenancy.ITenantConnectionFactory).FullName, registered);
    }
}
