using System.CommandLine;
using System.Globalization;
using TenantRag.Documents;
using TenantRag.Jobs;
using TenantRag.Postgres.Jobs;
using TenantRag.Server.Api;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag jobs list|show &lt;tenant&gt; [&lt;id&gt;] [--user U]</c>: upload jobs as one of the tenant's users sees them
/// over HTTP (<c>GET /v1/jobs</c>, <c>GET /v1/jobs/{id}</c>), through a tenant session (row-level security), like
/// <c>documents</c>; <c>--json</c> prints a job with the API's fields.
/// </summary>
internal static class JobCommands
{
    /// <summary>Jobs per page unless asked otherwise: as many as <c>GET /v1/jobs</c> gives.</summary>
    private const int DefaultLimit = 20;

    public static Command Create()
    {
        var jobs = new Command("jobs", "Upload jobs (files sent to the API), as one of the tenant's users may see them: list, show");
        var tenant = new Argument<string>("tenant") { Description = "The tenant's slug" };

        var limit = new Option<int>("--limit") { Description = $"Jobs per page (1-{IngestJobStore.MaxPageSize})", DefaultValueFactory = _ => DefaultLimit };
        var cursor = new Option<string?>("--cursor") { Description = "Where to go on: the 'next' of the previous page, as printed" };
        var all = new Option<bool>("--all") { Description = "Every page, one after the other" };
        var listUser = SearchCommands.UserOption();
        listUser.Description = "The user inside the tenant whose own upload jobs to list, as GET /v1/jobs lists the caller's";
        var list = new Command("list", "The user's own upload jobs, newest first: status, stage, chunks done of total, file, created, finished, error")
        {
            tenant, listUser, limit, cursor, all,
        };
        list.SetAction(CliContext.Action(cli => ListAsync(cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(listUser),
            cli.Parse.GetValue(limit), cli.Parse.GetValue(cursor), cli.Parse.GetValue(all))));
        jobs.Subcommands.Add(list);

        var id = new Argument<string>("id") { Description = "The job's id, as 'jobs list' (or the API's 202 answer) shows it" };
        var showUser = SearchCommands.UserOption();
        showUser.Description = "The user inside the tenant (sees their own jobs and the tenant-wide ones of colleagues)";
        var show = new Command("show", "One upload job the user may see, in full: its progress, the documents it stored or why it failed") { tenant, id, showUser };
        show.SetAction(CliContext.Action(cli => ShowAsync(cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(id), cli.Parse.GetValue(showUser))));
        jobs.Subcommands.Add(show);
        return jobs;
    }

    private static async Task<int> ListAsync(CliContext cli, string? tenantText, string? userText, int limit, string? cursor, bool all)
    {
        var context = TenantContext.For(TenantSlug.Parse(tenantText), UserId.Parse(userText));
        if (limit is < 1 or > IngestJobStore.MaxPageSize)
        {
            throw new UsageException($"the limit must be from 1 to {IngestJobStore.MaxPageSize}, not {limit}");
        }

        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        var jobs = new List<IngestJobInfo>();
        var next = string.IsNullOrEmpty(cursor) ? null : cursor;
        do
        {
            (var page, next) = await database.Jobs.ListAsync(context, limit, next, cli.CancellationToken).ConfigureAwait(false);
            jobs.AddRange(page);
        }
        while (all && next is not null);

        if (cli.Json)
        {
            CliContext.WriteJson(new { tenant = context.Tenant.Value, user = context.User.Value, jobs = jobs.Select(JobsApi.ToResponse), next });
            return 0;
        }

        if (jobs.Count == 0)
        {
            Console.WriteLine($"no jobs of user {context.User} in tenant {context.Tenant}{(string.IsNullOrEmpty(cursor) ? string.Empty : " after the cursor")}: "
                + "a job is a file the user sent to the API ('tenantrag ingest' stores files at once, without one); --user names another user");
            return 0;
        }

        Console.WriteLine($"{"ID",-36}  {"CREATED",-16}  {"STATUS",-9}  {"STAGE",-10}  {"CHUNKS",11}  {"FINISHED",-16}  {"FILE",-24}  ERROR");
        foreach (var j in jobs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{j.Id,-36}  {j.CreatedAt.UtcDateTime,-16:yyyy-MM-dd HH:mm}  {j.Status.ToName(),-9}  {j.Stage,-10}  {Chunks(j),11}  {Finished(j, "yyyy-MM-dd HH:mm"),-16}  {SearchCommands.Printable(j.FileName),-24}  {Error(j) ?? string.Empty}"));
        }

        if (next is not null)
        {
            Console.WriteLine($"more: run again with --cursor {next} (or --all for every page)");
        }

        return 0;
    }

    private static async Task<int> ShowAsync(CliContext cli, string? tenantText, string? idText, string? userText)
    {
        var context = TenantContext.For(TenantSlug.Parse(tenantText), UserId.Parse(userText));
        var id = Guid.TryParse(idText, out var parsed)
            ? parsed
            : throw new UsageException($"invalid job id '{UsageException.Echo(idText)}': give the id as 'tenantrag jobs list' shows it");
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;

        // A missing id, another tenant's and a colleague's private one look the same, as over HTTP.
        var j = await database.Jobs.GetAsync(context, id, cli.CancellationToken).ConfigureAwait(false)
            ?? throw new TenantRagException($"no job {id} that user {context.User} may see in tenant {context.Tenant}; 'jobs list' shows the user's own jobs");
        if (cli.Json)
        {
            CliContext.WriteJson(JobsApi.ToResponse(j));
            return 0;
        }

        Console.WriteLine($"id:         {j.Id}");
        Console.WriteLine($"status:     {j.Status.ToName()}");
        Console.WriteLine($"stage:      {j.Stage}");
        Console.WriteLine($"chunks:     {Chunks(j)}");
        Console.WriteLine($"file:       {SearchCommands.Printable(j.FileName)}");
        if (j.Title is not null)
        {
            Console.WriteLine($"title:      {SearchCommands.Printable(j.Title)}");
        }

        Console.WriteLine($"media type: {j.MediaType}");
        Console.WriteLine($"size:       {DocumentCommands.Size(j.ByteSize)}");
        Console.WriteLine($"visibility: {j.Visibility.ToName()}");
        Console.WriteLine($"owner:      {SearchCommands.Printable(j.OwnerId)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"attempts:   {j.Attempt}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"created:    {j.CreatedAt:u}"));
        Console.WriteLine(j.StartedAt is { } started ? string.Create(CultureInfo.InvariantCulture, $"started:    {started:u}") : "started:    (waiting for a worker)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"updated:    {j.UpdatedAt:u}"));
        Console.WriteLine($"finished:   {Finished(j, "u")}");
        Console.WriteLine($"documents:  {(j.DocumentIds.Count == 0 ? "(none)" : string.Join(", ", j.DocumentIds))}");
        if (Error(j) is { } error)
        {
            Console.WriteLine($"error:      {error}");
        }
        else if (j.ErrorMessage is not null)
        {
            // Queued again after an error the worker retries (the API shows no error until the job has failed).
            Console.WriteLine($"last error: {SearchCommands.Printable($"{j.ErrorReason}: {j.ErrorMessage}")} (it will be tried again)");
        }

        return 0;
    }

    private static string Chunks(IngestJobInfo j) => string.Create(CultureInfo.InvariantCulture, $"{j.ChunksDone}/{j.ChunksTotal}");

    private static string Finished(IngestJobInfo j, string format) =>
        j.FinishedAt is { } at ? at.UtcDateTime.ToString(format, CultureInfo.InvariantCulture) : "-";

    // As the API shows it: only a failed job has an error.
    private static string? Error(IngestJobInfo j) =>
        JobsApi.ToResponse(j).Error is { } e ? SearchCommands.Printable($"{e.Reason}: {e.Message}") : null;
}
