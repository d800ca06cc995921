using System.Net;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Hostile;

/// <summary>Raw bodies (<see cref="HostilePayloads"/>) on every POST route.</summary>
public sealed partial class HostileInputTests
{
    public static TheoryData<string, string> PayloadsOnRoutes
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var route in new[] { "/v1/documents", "/v1/search", "/v1/ask", "/admin/v1/tenants", "/auth/dev-token" })
            {
                foreach (var payload in HostilePayloads.All)
                {
                    data.Add(route, payload.Name);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(PayloadsOnRoutes))]
    public async Task Post_HostileRawBody_Returns400Or415(string route, string payload)
    {
        var body = HostilePayloads.Get(payload);
        var before = await f.SnapshotAsync();

        var response = await f.PostAsync(route, route.StartsWith("/admin", StringComparison.Ordinal) ? f.Admin : f.Alice, body.Body, body.ContentType);

        // Malformed or wrongly typed bodies are the client's fault: 400 (unreadable) or 415 (not a type the route
        // takes), as a problem document, and nothing stored.
        await AssertRefusedAsync(response, before, HttpStatusCode.BadRequest, HttpStatusCode.UnsupportedMediaType);
    }
}
