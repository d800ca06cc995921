using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag documents list|show|delete &lt;tenant&gt; [&lt;id&gt;] [--user U]</c>: a tenant's documents as one of its users
/// sees them, through a tenant session (row-level security), like <c>search</c> and <c>ask</c>.
/// </summary>
internal static class DocumentCommands
{
    public static Command Create()
    {
        var documents = new Command("documents", "A tenant's documents, as one of its users may see them: list, show, delete");
        var tenant = new Argument<string>("tenant") { Description = "The tenant's slug" };
        var id = new Argument<string>("id") { Description = "The document's id, as 'documents list' shows it" };

        var limit = new Option<int>("--limit") { Description = $"Documents per page (1-{DocumentListQuery.MaxLimit})", DefaultValueFactory = _ => DocumentListQuery.DefaultLimit };
        var cursor = new Option<string?>("--cursor") { Description = "Where to go on: the 'next' of the previous page, as printed" };
        var all = new Option<bool>("--all") { Description = "Every page, one after the other" };
        var filter = new Option<string?>("--filter") { Description = "Only documents whose title or file name contains this text (any case)" };
        var listUser = SearchCommands.UserOption();
        var list = new Command("list", "The documents the user may see, newest first: file name, media type, size, visibility, owner, created")
        {
            tenant, listUser, limit, cursor, all, filter,
        };
        list.SetAction(CliContext.Action(cli => ListAsync(cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(listUser),
            DocumentListQuery.Create(cli.Parse.GetValue(filter), cli.Parse.GetValue(limit), cli.Parse.GetValue(cursor)), cli.Parse.GetValue(all))));
        documents.Subcommands.Add(list);

        var showUser = SearchCommands.UserOption();
        var show = new Command("show", "One document the user may see: what it is, and its extracted text") { tenant, id, showUser };
        show.SetAction(CliContext.Action(cli => ShowAsync(cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(id), cli.Parse.GetValue(showUser))));
        documents.Subcommands.Add(show);

        var deleteUser = SearchCommands.UserOption();
        var yes = new Option<bool>("--yes", "-y") { Description = "Delete without asking (needed where there is no terminal to ask on)" };
        var delete = new Command("delete", "Delete one of the user's own documents (asks first on a terminal)") { tenant, id, deleteUser, yes };
        delete.SetAction(CliContext.Action(cli => DeleteAsync(cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(id), cli.Parse.GetValue(deleteUser), cli.Parse.GetValue(yes))));
        documents.Subcommands.Add(delete);
        return documents;
    }

    private static async Task<int> ListAsync(CliContext cli, string? tenantText, string? userText, DocumentListQuery query, bool all)
    {
        var context = TenantContext.For(TenantSlug.Parse(tenantText), UserId.Parse(userText));
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        var documents = new List<DocumentSummary>();
        DocumentPage page;
        do
        {
            page = await database.Documents.ListPageAsync(context, query, cli.CancellationToken).ConfigureAwait(false);
            documents.AddRange(page.Documents);
            query = DocumentListQuery.Create(query.Filter, query.Limit, page.Next);
        }
        while (all && page.Next is not null);

        if (cli.Json)
        {
            CliContext.WriteJson(new { tenant = context.Tenant.Value, user = context.User.Value, documents = documents.Select(ToJson), next = page.Next });
            return 0;
        }

        if (documents.Count == 0)
        {
            Console.WriteLine($"no documents in tenant {context.Tenant} that user {context.User} may see{(query.Filter is null ? string.Empty : " matching the filter")}");
            return 0;
        }

        Console.WriteLine($"{"ID",-36}  {"CREATED",-16}  {"VISIBILITY",-10}  {"OWNER",-16}  {"SIZE",9}  {"TYPE",-20}  {"FILE",-24}  TITLE");
        foreach (var d in documents)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{d.Id,-36}  {d.CreatedAt.UtcDateTime,-16:yyyy-MM-dd HH:mm}  {d.Visibility.ToName(),-10}  {SearchCommands.Printable(d.OwnerId),-16}  {Size(d.ByteSize),9}  {d.MediaType,-20}  {SearchCommands.Printable(d.FileName ?? "-"),-24}  {SearchCommands.Printable(d.Title)}"));
        }

        if (page.Next is { } next)
        {
            Console.WriteLine($"more: run again with --cursor {next} (or --all for every page)");
        }

        return 0;
    }

    private static async Task<int> ShowAsync(CliContext cli, string? tenantText, string? idText, string? userText)
    {
        var context = TenantContext.For(TenantSlug.Parse(tenantText), UserId.Parse(userText));
        var id = ParseId(idText);
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        var content = await database.Documents.GetContentAsync(context, id, cli.CancellationToken).ConfigureAwait(false) ?? throw NotVisible(context, id);
        var d = content.Document;
        if (cli.Json)
        {
            CliContext.WriteJson(ToJson(d) with { Text = content.Text });
            return 0;
        }

        Console.WriteLine($"id:         {d.Id}");
        Console.WriteLine($"title:      {SearchCommands.Printable(d.Title)}");
        Console.WriteLine($"file:       {SearchCommands.Printable(d.FileName ?? "(none: sent as text)")}");
        Console.WriteLine($"media type: {d.MediaType}");
        Console.WriteLine($"size:       {Size(d.ByteSize)}");
        Console.WriteLine($"visibility: {d.Visibility.ToName()}");
        Console.WriteLine($"owner:      {SearchCommands.Printable(d.OwnerId)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"created:    {d.CreatedAt:u}"));
        Console.WriteLine();
        Console.WriteLine(content.Text is { } text
            ? SearchCommands.Printable(text, keepLineBreaks: true)
            : "(its text was not kept: it was stored before TenantRag kept the text of documents; ingest its file again)");
        return 0;
    }

    private static async Task<int> DeleteAsync(CliContext cli, string? tenantText, string? idText, string? userText, bool yes)
    {
        var context = TenantContext.For(TenantSlug.Parse(tenantText), UserId.Parse(userText));
        var id = ParseId(idText);
        CliContext.RequireConsent(yes);

        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        if (!yes)
        {
            var document = await database.Documents.GetAsync(context, id, cli.CancellationToken).ConfigureAwait(false) ?? throw NotVisible(context, id);
            var file = document.FileName is null ? string.Empty : $", file {SearchCommands.Printable(document.FileName)}";
            if (!await cli.ConfirmAsync($"delete document {id} \"{SearchCommands.Printable(document.Title)}\" (owner {SearchCommands.Printable(document.OwnerId)}{file})?").ConfigureAwait(false))
            {
                return 1;
            }
        }

        if (!await database.Documents.DeleteAsync(context, id, cli.CancellationToken).ConfigureAwait(false))
        {
            throw new TenantRagException($"no document {id} that user {context.User} may delete in tenant {context.Tenant}: only its owner may delete it, and it must exist; 'documents list' shows what the user sees");
        }

        if (cli.Json)
        {
            CliContext.WriteJson(new { tenant = context.Tenant.Value, user = context.User.Value, deleted = id });
        }
        else
        {
            Console.WriteLine($"deleted document {id}");
        }

        return 0;
    }

    private static DocumentJson ToJson(DocumentSummary d) =>
        new(d.Id, d.Title, d.FileName, d.MediaType, d.ByteSize, d.Visibility.ToName(), d.OwnerId, d.CreatedAt);

    private static Guid ParseId(string? text) => Guid.TryParse(text, out var id)
        ? id
        : throw new UsageException($"invalid document id '{UsageException.Echo(text)}': give the id as 'tenantrag documents list' shows it");

    // A missing id, another tenant's and a colleague's private one look the same, as over HTTP.
    private static TenantRagException NotVisible(TenantContext context, Guid id) =>
        new($"no document {id} that user {context.User} may see in tenant {context.Tenant}; 'documents list' shows what the user sees");

    /// <summary>A document as <c>--json</c> prints it; <c>text</c> only from <c>show</c>, and only when it was kept.</summary>
    private sealed record DocumentJson(Guid Id, string Title, string? FileName, string MediaType, long ByteSize, string Visibility, string Owner, DateTimeOffset CreatedAt)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Text { get; init; }
    }

    internal static string Size(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MiB"),
    };
}
