using TenantRag.Hosting;
using TenantRag.Tenancy;

var builder = WebApplication.CreateBuilder(args);

// Everything TenantRag needs comes from the "TenantRag" section (see appsettings.json): the identity provider whose
// tokens are trusted, the claim that names the tenant, the PostgreSQL server.
builder.Services.AddTenantRag(builder.Configuration).AddTenantRagApi();

var app = builder.Build();
app.MapTenantRagApi();

// An endpoint of the app's own over tenant data. Its SQL has no tenant filter at all: the session runs as the caller's
// tenant and user for this transaction only, and row-level security (or the tenant's own database) does the filtering.
app.MapGet("/v1/sample/document-count", async (HttpContext http, ITenantConnectionFactory sessions, CancellationToken cancellationToken) =>
{
    var caller = http.GetTenantContext();
    await using var session = await sessions.OpenAsync(caller, cancellationToken);
    await using var command = session.Connection.CreateCommand();
    command.Transaction = session.Transaction;
    command.CommandText = "SELECT count(*) FROM public.documents";
    var documents = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    return Results.Ok(new { tenant = caller.Tenant.Value, documents });
}).RequireAuthorization();

app.MapGet("/", () => "TenantRag sample: the API is under /v1, its description at /openapi/v1.json");

await app.RunAsync();
