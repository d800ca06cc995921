using Microsoft.Extensions.DependencyInjection;
using TenantRag.Hosting;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>The server compiles the code of a cold tenant's first search as it starts, in the background.</summary>
public sealed class RetrievalWarmUpServiceTests(PostgresServer postgres)
{
    [Fact]
    public async Task Start_RunsTheRetrievalWarmUp()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_warm");
        var warmUp = server.App.Services.GetRequiredService<RetrievalWarmUpService>();

        Assert.Equal(20, await warmUp.Completed.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken));
    }
}
