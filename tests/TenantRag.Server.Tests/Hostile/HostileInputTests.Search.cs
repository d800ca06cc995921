using System.Net;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Hostile;

/// <summary><c>POST /v1/search</c> <c>{query, k, retriever}</c> and <c>POST /v1/ask</c> <c>{question, k}</c>.</summary>
public sealed partial class HostileInputTests
{
    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task SearchAndAsk_HostileQueryText_AnsweredFromCallerOnlyOrRefused(string name)
    {
        var hostile = HostileStrings.Get(name);
        var before = await f.SnapshotAsync();

        var search = await f.PostJsonAsync("/v1/search", f.Alice, ("query", hostile.Value), ("k", 10));
        var ask = await f.PostJsonAsync("/v1/ask", f.Alice, ("question", hostile.Value), ("k", 5));

        // Query text is whatever a person types, over several lines if they like: printable text of up to 2000
        // characters is searched (SQL and tsquery syntax are just words; another tenant's name finds nothing of
        // theirs); control characters, lone surrogates, blank and over-long queries are refused.
        if (hostile.IsPrintableText && hostile.Value.Trim().Length <= 2000)
        {
            await AssertOkAsync(search);
            await AssertReadOnlyAsync(ask, before);
        }
        else
        {
            await AssertProblemAsync(search, HttpStatusCode.BadRequest);
            await AssertRefusedAsync(ask, before, HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task SearchAndAsk_HostileCountOrRetriever_Refused(string name)
    {
        var hostile = HostileStrings.Get(name).Value;
        var before = await f.SnapshotAsync();

        // k is a number from 1 to 100 (a string holding one is tolerated, none of these does), and the retriever
        // is hybrid, vector or lexical.
        var searchK = await f.PostJsonAsync("/v1/search", f.Alice, ("query", "vacation"), ("k", hostile));
        var askK = await f.PostJsonAsync("/v1/ask", f.Alice, ("question", "vacation?"), ("k", hostile));
        var retriever = await f.PostJsonAsync("/v1/search", f.Alice, ("query", "vacation"), ("retriever", hostile));

        await AssertProblemAsync(searchK, HttpStatusCode.BadRequest);
        await AssertProblemAsync(askK, HttpStatusCode.BadRequest);
        await AssertRefusedAsync(retriever, before, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public async Task SearchAndAsk_CountOutOfRange_Refused(int k)
    {
        var before = await f.SnapshotAsync();

        var search = await f.PostJsonAsync("/v1/search", f.Alice, ("query", "vacation"), ("k", k));
        var ask = await f.PostJsonAsync("/v1/ask", f.Alice, ("question", "vacation?"), ("k", k));

        await AssertProblemAsync(search, HttpStatusCode.BadRequest);
        await AssertRefusedAsync(ask, before, HttpStatusCode.BadRequest);
    }
}
