using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Hosting;
using TenantRag.Server;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag serve [--urls http://127.0.0.1:5080] [--dev-auth]</c>: the HTTP API and web page. Users sign in with the
/// identity provider of <c>Auth:Authority</c> (or <c>Auth:JwksUrl</c>), or, with <c>--dev-auth</c>, with the local
/// development issuer; with neither it refuses to start (exit 2).
/// </summary>
internal static class ServeCommand
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var devAuth = new Option<bool>("--dev-auth")
        {
            Description = "Development sign-in: tokens from the local issuer (tenantrag token), and /auth/dev-token for any user of any tenant to direct requests from this machine. Never behind a proxy or in production",
        };
        var serve = new Command("serve", "The HTTP API and the web page (settings: the TenantRag section of appsettings.json, or TenantRag__* environment variables)") { urls, devAuth };
        serve.SetAction(CliContext.Action(cli => RunAsync(cli, cli.Parse.GetValue(urls)!, cli.Parse.GetValue(devAuth))));
        return serve;
    }

    private static async Task<int> RunAsync(CliContext cli, string urls, bool devAuth)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new UsageException($"--urls '{UsageException.Echo(url)}' is not an http(s) URL: e.g. --urls http://127.0.0.1:5080");
            }
        }

        if (devAuth)
        {
            cli.Override($"{TenantRagSettings.SectionName}:Auth:DevelopmentIssuer", "true");
        }

        // The command line's settings (appsettings.json next to the program, in the home and in the working directory, the
        // environment), not ASP.NET's own default sources.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(cli.Configuration);
        builder.WebHost.UseUrls(urls);

        // A port in use fails the start with "Hosting failed to start" and a stack trace in the log; the exception
        // comes out of StartAsync all the same and is said in one line below. After the start, the host logs as always.
        // This rule stands in for the configured default level (Logging:LogLevel:Default, Information when unset), which
        // it would otherwise replace: without the level, a failed start printed every Trace line, exception texts of
        // connections cut by the stop included. Categories configured on their own keep their own levels.
        var started = false;
        var minimum = builder.Configuration.GetValue("Logging:LogLevel:Default", LogLevel.Information);
        builder.Logging.AddFilter((_, category, level) => level >= minimum && (started || level < LogLevel.Error || category != HostCategory));

        // Bad settings (no identity provider above all) are refused before the database is started.
        TenantRagServer.ValidateSettings(builder.Configuration);
        // The database opens as the app starts, with the app's logging for its pools.
        await using var app = TenantRagServer.Build(builder, cli.Home, setup => setup.OnNotice = notice => Console.Error.WriteLine($"note: {notice}"));
        try
        {
            await app.StartAsync(cli.CancellationToken).ConfigureAwait(false);
            started = true;
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException inUse)
        {
            // Kestrel says "Failed to bind to address ...: address already in use." with a stack trace: one line instead.
            throw new TenantRagException($"{InUseUrl(urls, ex.Message)} is in use: {inUse.Message.TrimEnd('.')}; stop what listens there, or pick another port with --urls");
        }

        if (builder.Configuration.GetValue<bool>($"{TenantRagSettings.SectionName}:Auth:DevelopmentIssuer"))
        {
            await Console.Error.WriteLineAsync("warning: development sign-in is on (--dev-auth): anyone who reaches /auth/dev-token directly on this machine "
                + "can sign in as any user of any tenant; never expose this server or put it behind a proxy, and configure Auth:Authority for real users")
                .ConfigureAwait(false);
        }

        if (!cli.Json)
        {
            Console.WriteLine($"serving on {string.Join(", ", app.Urls)} (web page at /, OpenAPI at /openapi/v1.json); Ctrl+C stops");
        }

        await app.WaitForShutdownAsync(cli.CancellationToken).ConfigureAwait(false);
        return 0;
    }

    // The URL Kestrel could not bind: the one its message names, else all of them.
    private static string InUseUrl(string urls, string message) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(u => message.Contains(u, StringComparison.OrdinalIgnoreCase)) ?? urls;
}
