using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Hosting;
using TenantRag.Postgres;

namespace TenantRag.Cli;

/// <summary>
/// The composition root of a command: a generic host with the library's registration
/// (<see cref="TenantRagServiceCollectionExtensions.AddTenantRag"/>) and the operator service, started (the database
/// opened) and stopped around the command's work. Commands take their objects from <see cref="Services"/>.
/// </summary>
internal sealed class CliHost : IAsyncDisposable
{
    private readonly IHost _host;

    private CliHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    /// <summary>The operator service: tenant lifecycle, audit, drills, re-embedding, sizes.</summary>
    public TenantRagDatabase Operator => _host.Services.GetRequiredService<TenantRagDatabase>();

    public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    /// <summary>Builds the host over <paramref name="configuration"/>, starts it, and reports what start-up repaired.</summary>
    public static async Task<CliHost> StartAsync(IConfiguration configuration, Action<TenantRagSetup>? configure, CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);

        // Commands print what they have to say themselves; the log says only what went wrong, on stderr.
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // The command line handles Ctrl+C (its cancellation token), not the host.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Services.AddTenantRag(builder.Configuration, setup =>
        {
            setup.OnNotice = notice => Console.Error.WriteLine($"note: {notice}");

            // A command lives seconds, trusting a looked-up tenant for Database:CatalogCacheTtl at most; 'serve' is not
            // built here and listens.
            setup.ListenForCatalogChanges = false;
            configure?.Invoke(setup);
        });
        builder.Services.AddTenantRagOperator();
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DisposeAsync(host).ConfigureAwait(false);
            throw;
        }

        return new CliHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await DisposeAsync(_host).ConfigureAwait(false);
    }

    private static async ValueTask DisposeAsync(IHost host)
    {
        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            host.Dispose();
        }
    }

    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
