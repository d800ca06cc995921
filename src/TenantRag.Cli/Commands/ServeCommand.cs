using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using TenantRag.Server;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag serve [--urls http://127.0.0.1:5080]</c>: the HTTP API and web page.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var serve = new Command("serve", "The HTTP API and the web page (configure with appsettings.json or Auth__*, Tenancy__*, Limits__*, Embeddings__* variables)") { urls };
        serve.SetAction(CliContext.Action(cli => RunAsync(cli, cli.Parse.GetValue(urls)!)));
        return serve;
    }

    private static async Task<int> RunAsync(CliContext cli, string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new UsageException($"--urls '{UsageException.Echo(url)}' is not an http(s) URL: e.g. --urls http://127.0.0.1:5080");
            }
        }

        await using var database = await cli.OpenDatabaseAsync().ConfigureAwait(false);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(urls);
        await using var app = TenantRagServer.Build(builder, database, cli.Home);
        await app.StartAsync(cli.CancellationToken).ConfigureAwait(false);
        if (!cli.Json)
        {
            Console.WriteLine($"serving on {string.Join(", ", app.Urls)} (web page at /, OpenAPI at /openapi/v1.json); Ctrl+C stops");
        }

        await app.WaitForShutdownAsync(cli.CancellationToken).ConfigureAwait(false);
        return 0;
    }
}
