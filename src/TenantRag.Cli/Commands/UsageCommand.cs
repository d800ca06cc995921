using System.CommandLine;
using System.Globalization;
using TenantRag.Postgres.Usage;
using TenantRag.Server.Api;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag usage [&lt;tenant&gt;] [--since yyyy-mm-dd] [--json]</c>: metered usage per tenant and UTC day, of every
/// active tenant of the fleet or of one; <c>--json</c> prints what <c>GET /admin/v1/usage</c> answers. Past days'
/// events are rolled up first.
/// </summary>
internal static class UsageCommand
{
    public static Command Create()
    {
        var tenant = new Argument<string?>("tenant") { Description = "The tenant's slug (default: every tenant)", Arity = ArgumentArity.ZeroOrOne };
        var since = new Option<string?>("--since") { Description = "The first day shown, yyyy-mm-dd (UTC; default: every day)" };
        var usage = new Command("usage", "Metered usage per tenant and UTC day: documents, chunks and bytes stored at the end of the day and their change, "
            + "queries, embedding tokens, generated tokens") { tenant, since };
        usage.SetAction(CliContext.Action(cli => RunAsync(cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(since))));
        return usage;
    }

    private static async Task<int> RunAsync(CliContext cli, string? tenantText, string? sinceText)
    {
        // Checked before anything is opened: bad input changes nothing.
        var slug = tenantText is null ? (TenantSlug?)null : TenantSlug.Parse(tenantText);
        var since = UsageDates.ParseSince(sinceText, "--since");
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var ledger = host.Operator.UsageLedger;
        await ledger.RollUpAsync(slug, cli.CancellationToken).ConfigureAwait(false);
        var reports = await ledger.ReportAsync(slug, since, cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(UsageApi.ToResponse(since, reports));
            return 0;
        }

        var rows = reports.SelectMany(r => r.Days.Select(d => (r.Tenant, Day: d))).ToList();
        if (rows.Count == 0)
        {
            Console.WriteLine(slug is { } one
                ? $"nothing metered for tenant {one}{(since is null ? string.Empty : " since " + sinceText)}"
                : $"nothing metered for any tenant{(since is null ? string.Empty : " since " + sinceText)}");
            return 0;
        }

        Console.WriteLine($"{"TENANT",-24}  {"DAY",-10}  {"DOCUMENTS",18}  {"CHUNKS",20}  {"BYTES",26}  {"QUERIES",9}  {"EMBED TOKENS",12}  {"GEN TOKENS",10}");
        foreach (var (tenant, d) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{tenant.Value,-24}  {d.Day:yyyy-MM-dd}  {Stored(d.Documents, d.DocumentsChange),18}  {Stored(d.Chunks, d.ChunksChange),20}  {Stored(d.Bytes, d.BytesChange),26}  {d.Queries,9}  {d.EmbeddingTokens,12}  {d.GeneratedTokens,10}"));
        }

        Console.WriteLine("stored amounts are at the end of each UTC day, with the day's change in brackets; a day without a row changed nothing");
        return 0;
    }

    // "12 (+3)": what was stored at the end of the day, and how that changed during it.
    private static string Stored(long stored, long change) => string.Create(CultureInfo.InvariantCulture, $"{stored} ({change:+0;-0;0})");
}
