using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary><c>tenantrag bench ...</c>: measurements that print figures (never timed tests).</summary>
public static class BenchCommands
{
    /// <summary>The <c>bench</c> command tree, its commands run through <paramref name="action"/> (the host's error handling).</summary>
    public static Command Create(BenchAction action)
    {
        var bench = new Command("bench", "Benchmarks that print figures");
        var count = new Option<int>("--count") { Description = "Tenants to create per model", DefaultValueFactory = _ => 200 };
        var keep = new Option<bool>("--keep") { Description = "Keep the benchmark tenants instead of deleting them" };
        var tenants = new Command("tenants", "Create tenants of each model (in a separate 'tenantrag_bench' installation) and print p50/p95 create time and disk per tenant") { count, keep };
        tenants.SetAction(action(cli => TenantsAsync(cli, cli.Parse.GetValue(count), cli.Parse.GetValue(keep))));
        bench.Subcommands.Add(tenants);
        bench.Subcommands.Add(BenchApiCommand.Create(action));
        bench.Subcommands.Add(BenchSoakCommand.Create(action));
        bench.Subcommands.Add(BenchIngestCommand.Create(action));
        bench.Subcommands.Add(BenchPoolerCommand.Create(action));
        bench.Subcommands.Add(BenchMoveCommand.Create(action));
        bench.Subcommands.Add(BenchColdCommand.Create(action));
        bench.Subcommands.Add(BenchFleetCommand.Create(action));
        return bench;
    }

    private static async Task<int> TenantsAsync(BenchContext cli, int count, bool keep)
    {
        BenchServer.CheckRange("--count", count, 1, 5000);

        var ct = cli.CancellationToken;
        await using var database = await cli.OpenDatabaseAsync(new TenancyOptions { Prefix = "tenantrag_bench" }).ConfigureAwait(false);
        foreach (var stale in await database.Catalog.ListAsync(ct).ConfigureAwait(false))
        {
            await database.Catalog.DeleteAsync(stale.Slug, ct).ConfigureAwait(false);
        }

        var results = new List<object>();
        foreach (var mode in new[] { TenancyMode.Shared, TenancyMode.Dedicated })
        {
            var names = database.Installation.Names;
            var catalogBefore = await database.DatabaseSizeAsync(names.Catalog, ct).ConfigureAwait(false);
            var sharedBefore = await database.DatabaseSizeAsync(names.Shared, ct).ConfigureAwait(false);
            var timings = new List<double>(count);
            var created = new List<TenantInfo>(count);
            await AnsiConsoleProgressAsync(cli, $"creating {count} {mode.ToName()} tenants", count, async tick =>
            {
                for (var i = 0; i < count; i++)
                {
                    var slug = TenantSlug.Parse($"bench-{mode.ToName()}-{i:D5}");
                    var watch = Stopwatch.StartNew();
                    created.Add(await database.Catalog.CreateAsync(slug, mode, ct).ConfigureAwait(false));
                    timings.Add(watch.Elapsed.TotalMilliseconds);
                    tick();
                }
            }).ConfigureAwait(false);

            long disk = await database.DatabaseSizeAsync(names.Catalog, ct).ConfigureAwait(false) - catalogBefore;
            disk += await database.DatabaseSizeAsync(names.Shared, ct).ConfigureAwait(false) - sharedBefore;
            if (mode == TenancyMode.Dedicated)
            {
                foreach (var tenant in created)
                {
                    disk += await database.DatabaseSizeAsync(tenant.Database, ct).ConfigureAwait(false);
                }
            }

            timings.Sort();
            var figures = new
            {
                mode = mode.ToName(),
                count,
                p50Ms = Math.Round(Percentile(timings, 0.50), 2),
                p95Ms = Math.Round(Percentile(timings, 0.95), 2),
                maxMs = Math.Round(timings[^1], 2),
                diskBytesPerTenant = disk / count,
            };
            results.Add(figures);
            if (!cli.Json)
            {
                Console.WriteLine($"{figures.mode,-10} {count} tenants: create p50 {figures.p50Ms} ms, p95 {figures.p95Ms} ms, max {figures.maxMs} ms; disk per tenant {figures.diskBytesPerTenant / 1024.0:F1} KiB");
            }

            if (!keep)
            {
                await AnsiConsoleProgressAsync(cli, $"deleting {count} {mode.ToName()} tenants", count, async tick =>
                {
                    foreach (var tenant in created)
                    {
                        await database.Catalog.DeleteAsync(tenant.Slug, ct).ConfigureAwait(false);
                        tick();
                    }
                }).ConfigureAwait(false);
            }
        }

        if (cli.Json)
        {
            cli.WriteJson(new { tenants = results });
        }

        return 0;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>A progress bar on a terminal; nothing when output is JSON or not a terminal.</summary>
    internal static async Task AnsiConsoleProgressAsync(BenchContext cli, string label, int total, Func<Action, Task> work)
    {
        if (cli.Json || Console.IsErrorRedirected || Console.IsOutputRedirected)
        {
            await work(() => { }).ConfigureAwait(false);
            return;
        }

        await AnsiConsole.Progress().AutoClear(true).StartAsync(async progress =>
        {
            var task = progress.AddTask(Markup.Escape(label), maxValue: total);
            await work(() => task.Increment(1)).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }
}
