using System.Net;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Hostile;

/// <summary>
/// Slugs and user ids: <c>/admin/v1/tenants</c> (JSON and route), the development sign-in <c>/auth/dev-token</c>,
/// and query-string parameters on every GET route.
/// </summary>
public sealed partial class HostileInputTests
{
    private const string ExactOtherTenant = HostileStrings.OtherTenantForms + "/exact";

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task AdminCreateTenant_HostileSlug_RefusedAndNothingCreated(string name)
    {
        var before = await f.SnapshotAsync();

        var response = await f.PostJsonAsync("/admin/v1/tenants", f.Admin, ("slug", HostileStrings.Get(name).Value), ("mode", "dedicated"));

        // No corpus entry is a valid slug, except the other tenant's own, which exists already (409): neither
        // creates a database or a role, nor touches the tenant it names.
        await AssertRefusedAsync(response, before, name == ExactOtherTenant ? HttpStatusCode.Conflict : HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task AdminCreateTenant_HostileMode_RefusedAndNothingCreated(string name)
    {
        var slug = Slugs.UniqueText("mode");
        var before = await f.SnapshotAsync();

        var response = await f.PostJsonAsync("/admin/v1/tenants", f.Admin, ("slug", slug), ("mode", HostileStrings.Get(name).Value));

        await AssertRefusedAsync(response, before, HttpStatusCode.BadRequest);
        Assert.Null(await f.Server.Database.Catalog.FindAsync(TenantRag.Tenancy.TenantSlug.Parse(slug), Ct));
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task AdminGetAndDeleteTenant_HostileRouteSlug_Returns404AndDeletesNothing(string name)
    {
        var segment = HostileEncoding.Percent(HostileStrings.Get(name).Value);
        var before = await f.SnapshotAsync();

        // The other tenant's exact slug is a legitimate admin lookup (and a legitimate delete, not tried here); every
        // other form of it (uppercase, padded, encoded, look-alike) names no tenant. An empty or "." segment is the
        // list; ".." is /admin/v1/.
        var get = await f.SendAsync(HttpMethod.Get, "/admin/v1/tenants/" + segment, f.Admin);
        if (name == ExactOtherTenant || segment is "" or "%2E")
        {
            await AssertReadOnlyAdminAsync(get, before);
            return;
        }

        var delete = await f.SendAsync(HttpMethod.Delete, "/admin/v1/tenants/" + segment, f.Admin);

        var refused = NotARoute(segment);
        await AssertProblemAsync(get, refused);
        await AssertRefusedAsync(delete, before, refused);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task DevToken_HostileTenantOrUser_RefusedOrIssuedForValidValuesOnly(string name)
    {
        var hostile = HostileStrings.Get(name);
        var before = await f.SnapshotAsync();

        var tenant = await f.PostJsonAsync("/auth/dev-token", null, ("tenant", hostile.Value), ("user", "alice"));
        var user = await f.PostJsonAsync("/auth/dev-token", null, ("tenant", f.Caller.Value), ("user", hostile.Value));

        // Development sign-in (loopback only) issues a token for any existing tenant, so the other tenant's exact
        // slug gets one; any other hostile tenant is refused. A user id is the identity provider's word: 1-128
        // printable characters without surrounding whitespace; SQL or HTML in it is just a name.
        if (name == ExactOtherTenant)
        {
            Assert.Equal(HttpStatusCode.OK, tenant.StatusCode);
        }
        else
        {
            await AssertProblemAsync(tenant, HttpStatusCode.BadRequest);
        }

        if (IsValidUserId(hostile))
        {
            Assert.Equal(HttpStatusCode.OK, user.StatusCode);
            await AssertUnchangedAsync(before);
        }
        else
        {
            await AssertRefusedAsync(user, before, HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Get_HostileQueryStringParameters_Ignored(string name)
    {
        var encoded = HostileEncoding.Percent(HostileStrings.Get(name).Value);
        var query = $"?{encoded}={encoded}&tenant_id={f.Other.Value}&tenant={f.Other.Value}&user=eve&owner=bob&visibility=private";
        var expected = await f.ListAsync(f.Alice);
        var before = await f.SnapshotAsync();

        var documents = await f.SendAsync(HttpMethod.Get, "/v1/documents" + query, f.Alice);
        var usage = await f.SendAsync(HttpMethod.Get, "/v1/usage" + query, f.Alice);
        var tenants = await f.SendAsync(HttpMethod.Get, "/admin/v1/tenants" + query, f.Admin);

        // No route reads its query string: the tenant and user come from the token alone. A megabyte of query
        // string is over Kestrel's request-line limit (414).
        if (documents.StatusCode == HttpStatusCode.RequestUriTooLong)
        {
            await AssertProblemAsync(documents, HttpStatusCode.RequestUriTooLong);
            await AssertProblemAsync(usage, HttpStatusCode.RequestUriTooLong);
            await AssertRefusedAsync(tenants, before, HttpStatusCode.RequestUriTooLong);
            return;
        }

        Assert.Equal(expected, await AssertOkAsync(documents));
        await AssertOkAsync(usage);
        await AssertReadOnlyAdminAsync(tenants, before);
    }

    private static bool IsValidUserId(HostileString hostile) =>
        hostile.IsPrintableLine && hostile.Value.Length <= 128 && hostile.Value.Trim() == hostile.Value;

    // An admin's listing names every tenant (that is its job), so it is checked for success and no change only.
    private async Task AssertReadOnlyAdminAsync(HttpResponseMessage response, TenantRowsSnapshot before)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {Shorten(body)}");
        await AssertUnchangedAsync(before);
    }
}
