using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TenantRag.Rag.Observability;
using TenantRag.Rag.Retrieval;
using TenantRag.Server.Observability;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers TenantRag's telemetry: its own instruments, and OpenTelemetry export when a collector is configured.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The <c>service.name</c> of everything exported.</summary>
    public const string ServiceName = "tenantrag";

    /// <summary>
    /// Registers the server's instruments (on the host's <c>TenantRag</c> meter) and, when <paramref name="section"/> names
    /// an <see cref="TelemetryOptions.OtlpEndpoint"/> or the environment sets <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
    /// OpenTelemetry traces and metrics exported over OTLP: ASP.NET Core, HttpClient, Npgsql and TenantRag's own. With
    /// neither nothing is exported and no OpenTelemetry pipeline runs. Logs are not exported.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="section">The <c>Telemetry</c> configuration section (see <see cref="TelemetryOptions"/>).</param>
    /// <exception cref="TenantRag.UsageException">A setting of <paramref name="section"/> is invalid.</exception>
    public static IServiceCollection AddTenantRagTelemetry(this IServiceCollection services, IConfiguration section) =>
        services.AddTenantRagTelemetry(section, Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="AddTenantRagTelemetry(IServiceCollection, IConfiguration)"/>, reading the environment through <paramref name="environment"/>.</summary>
    internal static IServiceCollection AddTenantRagTelemetry(this IServiceCollection services, IConfiguration section, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = TelemetryOptions.Read(section);
        services.AddMetrics();
        services.TryAddSingleton(sp => new ServerTelemetry(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<RetrievalIndexCache>()));
        if (options.OtlpEndpoint is null && string.IsNullOrWhiteSpace(environment(TelemetryOptions.EndpointVariable)))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithTracing(tracing => tracing
                .AddSource(TenantRagTelemetry.Name)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = http => !http.Request.Path.StartsWithSegments("/healthz", StringComparison.Ordinal))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddProcessor(new SecretStatementRedactor())
                .AddOtlpExporter(exporter => Configure(exporter, options, "v1/traces")))
            .WithMetrics(metrics => metrics
                .AddMeter(TenantRagTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddOtlpExporter(exporter => Configure(exporter, options, "v1/metrics")));
        return services;
    }

    // Telemetry:OtlpEndpoint is a base address (as OTEL_EXPORTER_OTLP_ENDPOINT is): over http/protobuf each signal has its
    // own path beneath it. Without it the SDK reads OTEL_EXPORTER_OTLP_* itself.
    private static void Configure(OtlpExporterOptions exporter, TelemetryOptions options, string signalPath)
    {
        if (options.OtlpEndpoint is not { } endpoint)
        {
            return;
        }

        exporter.Protocol = options.IsGrpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        var baseUri = new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/", UriKind.Absolute);
        exporter.Endpoint = options.IsGrpc ? baseUri : new Uri(baseUri, signalPath);
    }
}
