using System.Net;
using System.Text;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Hostile;

/// <summary>
/// Correctly signed development tokens whose claims are hostile (the signature only says who vouches for them, not
/// that they are valid values), and hostile bearer strings that are not tokens at all.
/// </summary>
public sealed partial class HostileInputTests
{
    [Theory]
    [MemberData(nameof(OtherThanExactOtherTenant))]
    public async Task SignedToken_HostileTenantClaim_Returns403AndChangesNothing(string name)
    {
        // The exact slug is left out: a signed token naming the other tenant is simply that tenant's user.
        var token = f.SignedToken(("sub", "alice"), ("tenant_id", HostileStrings.Get(name).Value));
        var before = await f.SnapshotAsync();

        var list = await f.SendAsync(HttpMethod.Get, "/v1/documents", token);
        var upload = await f.PostJsonAsync("/v1/documents", token, ("title", "via hostile tenant claim"), ("text", Body));
        var search = await f.PostJsonAsync("/v1/search", token, ("query", HostileInputFixture.ForeignMarker), ("k", 10));

        // A tenant claim that is not exactly an active tenant's slug names no tenant: no normalising of case,
        // padding or encoding that could turn it into the other tenant's.
        var refused = ClaimRefusal(HostileStrings.Get(name));
        await AssertProblemAsync(list, refused);
        await AssertProblemAsync(upload, refused);
        await AssertRefusedAsync(search, before, refused);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task SignedToken_HostileSubject_ActsAsThatUserOrReturns403(string name)
    {
        var hostile = HostileStrings.Get(name);
        var token = f.SignedToken(("sub", hostile.Value), ("tenant_id", f.Caller.Value));
        var expected = await f.ListAsync(f.Alice);
        var before = await f.SnapshotAsync();

        var list = await f.SendAsync(HttpMethod.Get, "/v1/documents", token);

        // The subject is the identity provider's word for who the user is: any valid user id (1-128 printable
        // characters, no surrounding whitespace) is a user of the caller's tenant who sees its tenant-wide
        // documents (not bob's private one) and owns what it uploads, stored verbatim; anything else is refused.
        if (IsValidUserId(hostile))
        {
            Assert.Equal(expected, await AssertReadOnlyAsync(list, before));
            var upload = await f.PostJsonAsync("/v1/documents", token, ("title", "owned by " + name), ("text", Body));
            await AssertStoredAndDeleteAsync(upload, before, "owned by " + name, owner: hostile.Value, token: token);
        }
        else
        {
            var upload = await f.PostJsonAsync("/v1/documents", token, ("title", "owned by " + name), ("text", Body));
            await AssertProblemAsync(list, ClaimRefusal(hostile));
            await AssertRefusedAsync(upload, before, ClaimRefusal(hostile));
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task SignedToken_HostileScope_NoAdminAccess(string name)
    {
        var hostile = HostileStrings.Get(name);
        var token = f.SignedToken(("sub", "alice"), ("tenant_id", f.Caller.Value), ("scope", hostile.Value));
        var expected = await f.ListAsync(f.Alice);
        var before = await f.SnapshotAsync();

        var admin = await f.SendAsync(HttpMethod.Get, "/admin/v1/tenants", token);
        var create = await f.PostJsonAsync("/admin/v1/tenants", token, ("slug", Slugs.UniqueText("scope")), ("mode", "shared"));
        var list = await f.SendAsync(HttpMethod.Get, "/v1/documents", token);

        // Only the exact scope tenantrag:admin opens the admin routes; scopes do not matter to tenant routes (unless
        // the token itself is refused: unreadable or too large).
        if (ClaimRefusal(hostile) is not HttpStatusCode.Forbidden and var refused)
        {
            await AssertProblemAsync(admin, refused);
            await AssertProblemAsync(create, refused);
            await AssertRefusedAsync(list, before, refused);
            return;
        }

        await AssertProblemAsync(admin, HttpStatusCode.Forbidden);
        await AssertProblemAsync(create, HttpStatusCode.Forbidden);
        Assert.Equal(expected, await AssertReadOnlyAsync(list, before));
    }

    [Theory]
    [InlineData("tenant_id")]
    [InlineData("sub")]
    public async Task SignedToken_MissingTenantOrSubject_Returns403(string missing)
    {
        (string, object)[] claims = [("sub", "alice"), ("tenant_id", f.Caller.Value)];
        var token = f.SignedToken([.. claims.Where(c => c.Item1 != missing)]);
        var before = await f.SnapshotAsync();

        var response = await f.SendAsync(HttpMethod.Get, "/v1/documents", token);

        await AssertRefusedAsync(response, before, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("tenant_id", "caller,other")]
    [InlineData("tenant_id", "other,caller")]
    [InlineData("tenant_id", "caller,caller")]
    [InlineData("sub", "alice,bob")]
    public async Task SignedToken_RepeatedClaim_Returns403(string claim, string values)
    {
        // Two tenants (or two users) in one token is ambiguous, and code that reads the first would disagree with
        // code that reads the last: such a token is refused rather than resolved either way.
        string[] repeated = [.. values.Split(',').Select(v => v switch { "caller" => f.Caller.Value, "other" => f.Other.Value, _ => v })];
        var token = f.SignedToken((claim, repeated), claim == "sub" ? ("tenant_id", f.Caller.Value) : ("sub", "alice"));
        var before = await f.SnapshotAsync();

        var response = await f.SendAsync(HttpMethod.Get, "/v1/documents", token);

        // A subject that is not a single string already fails token validation (401).
        await AssertRefusedAsync(response, before, claim == "sub" ? [HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden] : [HttpStatusCode.Forbidden]);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Get_HostileBearerString_Returns401Or400(string name)
    {
        var header = Encoding.ASCII.GetBytes("Authorization: Bearer ").Concat(HostileEncoding.Wtf8(HostileStrings.Get(name).Value)).ToArray();
        var before = await f.SnapshotAsync();

        var response = await RawHttp.GetAsync(f.Server.Client.BaseAddress!, "/v1/documents", header);

        // Not a token: 401. Bytes that cannot be in a header at all (CR, LF, NUL, a megabyte) are refused by Kestrel
        // before the application runs (400 or 431), with a problem document like every other error.
        Assert.True(response.Status is 401 or 400 or 431, $"got {response.Status}: {Shorten(response.Body)}");
        if (response.Body.Length > 0)
        {
            AssertProblem((HttpStatusCode)response.Status, response.ContentType, response.Body);
        }

        await AssertUnchangedAsync(before);
    }

    /// <summary>
    /// How the server refuses a token whose claim is <paramref name="hostile"/>: a lone surrogate makes the token's
    /// JSON unreadable (401); a megabyte-long token is over Kestrel's header limit (431); any other bad value gets
    /// 403 from tenant resolution or authorization.
    /// </summary>
    private static HttpStatusCode ClaimRefusal(HostileString hostile) =>
        !hostile.IsValidUnicode ? HttpStatusCode.Unauthorized
        : hostile.Value.Length > 16 * 1024 ? HttpStatusCode.RequestHeaderFieldsTooLarge
        : HttpStatusCode.Forbidden;

    public static TheoryData<string> OtherThanExactOtherTenant => HostileStrings.NamesWhere(s => s.Name != ExactOtherTenant);
}
