using Microsoft.Extensions.Configuration;
using TenantRag.Hosting;

namespace TenantRag.Cli;

/// <summary>
/// Where the command line's settings come from, later sources winning: <c>appsettings.json</c> next to the program,
/// then in <c>$TENANTRAG_HOME</c> (default <c>./.tenantrag</c>), then in the working directory, then environment
/// variables (<c>TenantRag__Limits__Burst</c>), then what a command sets itself.
/// </summary>
internal static class CliConfiguration
{
    private static readonly string[] Sections = ["Auth", "Tenancy", "Limits", "Embeddings", "Ingestion", "Jobs", "Database", "Telemetry", "Chat"];

    public static IConfigurationRoot Build(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var home = Environment.GetEnvironmentVariable("TENANTRAG_HOME") is { Length: > 0 } root ? root : ".tenantrag";
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddJsonFile(Path.GetFullPath(Path.Combine(home, "appsettings.json")), optional: true, reloadOnChange: false)
            .AddJsonFile(Path.GetFullPath("appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables();
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        return builder.Build();
    }

    /// <summary>
    /// Settings written the old way, outside the <c>TenantRag</c> section (<c>Limits__Burst</c>, <c>"Auth": {...}</c>), which
    /// nothing reads: one line each, so that a setting is never ignored in silence.
    /// </summary>
    public static IEnumerable<string> Misplaced(IConfiguration configuration) =>
        Sections.Where(name => configuration.GetSection(name).GetChildren().Any())
            .Select(name => $"settings under '{name}' are ignored: they belong in the {TenantRagSettings.SectionName} section ({TenantRagSettings.SectionName}:{name}:..., or {TenantRagSettings.SectionName}__{name}__... in the environment)");
}
