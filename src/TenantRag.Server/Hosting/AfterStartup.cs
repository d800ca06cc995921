using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace TenantRag.Hosting;

/// <summary>
/// Runs the hosted service <typeparamref name="TService"/>, but builds it only when the host starts it: the host builds
/// every hosted service before any of them starts, while what TenantRag's workers need exists only once
/// <see cref="TenantRagRuntime"/> has opened the database (in the start's first phase).
/// </summary>
internal sealed class AfterStartup<TService>(IServiceProvider services) : IHostedService
    where TService : class, IHostedService
{
    private TService? _service;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _service = services.GetRequiredService<TService>();
        return _service.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _service?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
