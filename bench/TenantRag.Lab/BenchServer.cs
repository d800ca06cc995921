using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres;
using TenantRag.Server;
using TenantRag.Server.Auth;

namespace TenantRag.Lab;

/// <summary>
/// What the HTTP benchmarks (<c>bench api</c>, <c>bench soak</c>) share: the real server in process on a loopback port
/// with the development issuer, its address, the machine's load average, and where progress lines go.
/// </summary>
internal static class BenchServer
{
    /// <summary>
    /// The server over <paramref name="database"/> on <c>http://127.0.0.1:0</c>, hermetic: the development issuer, the
    /// default tenant claim, and per-tenant request limits far above what a bench sends (the ingestion concurrency
    /// limits stay as configured). Warnings and errors are logged to stderr: stdout carries the figures.
    /// </summary>
    public static WebApplication Build(BenchContext cli, TenantRagDatabase database)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TenantRag:Auth:Authority"] = string.Empty,
            ["TenantRag:Auth:JwksUrl"] = string.Empty,
            ["TenantRag:Auth:DevelopmentIssuer"] = "true",
            ["TenantRag:Auth:Issuer"] = DevelopmentTokenIssuer.DefaultIssuer,
            ["TenantRag:Auth:Audience"] = DevelopmentTokenIssuer.DefaultAudience,
            ["TenantRag:Auth:TenantClaim"] = "tenant_id",
            ["TenantRag:Auth:TenantPerUser"] = "false",
            ["TenantRag:Limits:RequestsPerSecond"] = "1000000",
            ["TenantRag:Limits:Burst"] = "1000000",
        });

        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        return TenantRagServer.Build(builder, database, cli.Home);
    }

    /// <summary>The loopback base address the started <paramref name="app"/> listens on.</summary>
    public static Uri LoopbackAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip) && uri.Port > 0)
            {
                return new Uri($"http://{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}/");
            }
        }

        throw new BenchFailedException($"the in-process server did not report a loopback address (it reported: {string.Join(", ", addresses)})");
    }

    /// <summary>The 1, 5 and 15 minute load averages, or "unknown": figures from a loaded machine say so.</summary>
    public static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 3 ? $"{fields[0]} {fields[1]} {fields[2]}" : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>A usage error (exit 2) unless <paramref name="min"/> &lt;= <paramref name="value"/> &lt;= <paramref name="max"/>.</summary>
    public static void CheckRange(string option, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{option} {value} is out of range: use {min} to {max}"));
        }
    }

    /// <summary>A progress line: on stdout, or on stderr when stdout carries JSON.</summary>
    public static void Say(BenchContext cli, string line)
    {
        if (cli.Json)
        {
            Console.Error.WriteLine(line);
        }
        else
        {
            Console.WriteLine(line);
        }
    }
}
