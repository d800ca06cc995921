using System.CommandLine;
using System.Diagnostics;
using TenantRag.Postgres.Documents;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag reembed &lt;tenant&gt; [--user U]</c>: gives a tenant's chunks vectors of the configured embedding model.</summary>
internal static class ReembedCommand
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var tenant = new Argument<string>("tenant") { Description = "The tenant's slug" };
        var user = new Option<string>("--user") { Description = "Only this user's chunks (default: every owner's, each updated in the owner's own session)" };
        var reembed = new Command("reembed", "Re-embed a tenant's chunks with the configured embedding model (after a model change)") { tenant, user };
        reembed.SetAction(CliContext.Action(cli => RunAsync(cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(user))));
        return reembed;
    }

    private static async Task<int> RunAsync(CliContext cli, string? tenantText, string? userText)
    {
        var slug = TenantSlug.Parse(tenantText);
        UserId? user = userText is null ? null : UserId.Parse(userText);

        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        await database.Sessions.ResolveAsync(slug, cli.CancellationToken).ConfigureAwait(false);
        using var generator = new MiniLmEmbeddingGenerator();
        var reembedder = new Reembedder(new PostgresReembedStore(database), generator);

        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var progress = new Progress<int>(done =>
        {
            if (!cli.Json && clock.Elapsed - lastReport >= ProgressInterval)
            {
                lastReport = clock.Elapsed;
                Console.Error.WriteLine($"re-embedded {done} chunks ({clock.Elapsed.TotalSeconds:F0} s)");
            }
        });
        var result = await reembedder.ReembedAsync(slug, user, progress, cli.CancellationToken).ConfigureAwait(false);

        if (cli.Json)
        {
            CliContext.WriteJson(new
            {
                tenant = result.Tenant.Value,
                model = result.Model.Name,
                dimensions = result.Model.Dimensions,
                owners = result.Owners.Select(o => o.Value),
                chunks = result.Chunks,
                skipped = result.Skipped,
                seconds = result.Seconds,
            });
        }
        else
        {
            var whose = user is { } u ? $"user {u}" : $"{result.Owners.Count} owner(s)";
            var skipped = result.Skipped > 0 ? $"; {result.Skipped} chunks without text left as they were" : string.Empty;
            Console.WriteLine($"re-embedded {result.Chunks} chunks of {whose} in tenant {result.Tenant} with {result.Model} in {result.Seconds:F1} s{skipped}");
        }

        return 0;
    }
}
