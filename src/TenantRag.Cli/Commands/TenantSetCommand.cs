using System.CommandLine;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag tenant set &lt;slug&gt; [--max-documents N|none] [--max-bytes N|10MB|1GiB|none] [--max-queries-per-day N|none]
/// [--max-concurrent-uploads N|none]</c>: the tenant's quotas, kept in the catalog; the ones not named stay as they are.
/// </summary>
internal static class TenantSetCommand
{
    public static Command Create()
    {
        var slug = new Argument<string>("slug") { Description = "The tenant's slug" };
        var options = TenantQuotaNames.All.ToDictionary(q => q, q => new Option<string?>("--" + q.ToName()) { Description = Describe(q) });
        var set = new Command("set", "Set a tenant's quotas (storage: documents, bytes; rate: queries per UTC day, uploads in progress); 'none' removes one") { slug };
        foreach (var option in options.Values)
        {
            set.Options.Add(option);
        }

        set.SetAction(CliContext.Action(cli => SetAsync(cli, cli.Parse.GetValue(slug), options.ToDictionary(o => o.Key, o => cli.Parse.GetValue(o.Value)))));
        return set;
    }

    /// <summary>The quotas as <c>--json</c> prints them: every quota by its camel-case name, null when not set.</summary>
    internal static object ToJson(TenantQuotas quotas) => new
    {
        maxDocuments = quotas.MaxDocuments,
        maxBytes = quotas.MaxBytes,
        maxQueriesPerDay = quotas.MaxQueriesPerDay,
        maxConcurrentUploads = quotas.MaxConcurrentUploads,
    };

    /// <summary>The quota lines of <c>tenant show</c>.</summary>
    internal static void Print(TenantQuotas quotas)
    {
        foreach (var quota in TenantQuotaNames.All)
        {
            Console.WriteLine($"{quota.ToName() + ":",-24} {TenantQuotas.Describe(quota, quotas[quota])}");
        }
    }

    private static string Describe(TenantQuota quota) => quota switch
    {
        TenantQuota.MaxDocuments => "Documents the tenant may store (N, or none)",
        TenantQuota.MaxBytes => "Bytes the tenant's documents may hold: N, with an optional unit (10MB, 1GiB), or none",
        TenantQuota.MaxQueriesPerDay => "Searches and questions per UTC day (N, or none)",
        _ => "Uploads the tenant may have queued or running at once (N, or none)",
    };

    private static async Task<int> SetAsync(CliContext cli, string? slugText, Dictionary<TenantQuota, string?> given)
    {
        // Every value is checked before the database is touched: a bad one changes nothing.
        var slug = TenantSlug.Parse(slugText);
        var changes = given.Where(g => g.Value is not null).ToDictionary(g => g.Key, g => TenantQuotas.ParseLimit(g.Key, g.Value));
        if (changes.Count == 0)
        {
            throw new UsageException($"no quota given: name one or more of {string.Join(", ", TenantQuotaNames.All.Select(q => "--" + q.ToName()))} (a number, or 'none'); nothing was changed");
        }

        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var tenant = await host.Operator.Catalog.SetQuotasAsync(slug, changes, cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(TenantCommands.ToJson(tenant));
            return 0;
        }

        Console.WriteLine($"set quotas of tenant {tenant.Slug}:");
        Print(tenant.Quotas);
        return 0;
    }
}
