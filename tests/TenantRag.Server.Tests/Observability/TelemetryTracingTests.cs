using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Observability;

/// <summary>
/// The spans of a search, as any <see cref="ActivityListener"/> sees them: the ASP.NET Core request names its tenant,
/// TenantRag's search span is its child, and the Npgsql commands run beneath it; no span names or tags the query. The
/// statement that creates a dedicated tenant's role (its password in the text) is not traced at all.
/// </summary>
public sealed class TelemetryTracingTests(PostgresServer postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Search_OverHttp_RequestSpanHasSearchAndNpgsqlDescendants_NoQueryInAnySpan()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or "Npgsql" or "TenantRag",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = await TestServer.StartAsync(postgres, "s_oteltrace");
        var (tenant, token) = await Uploads.TenantAsync(server, "oteltrace");
        await Uploads.PostTextAsync(server, token, "Parking", "Visitors park on level 2 of the garage behind the library.");
        var query = "zq" + Slugs.RandomLetters(12) + " where do visitors park";

        var request = server.Request(HttpMethod.Post, "/v1/search", token);
        request.Content = JsonContent.Create(new { query, k = 3 });
        var response = await server.Client.SendAsync(request, Ct);
        // The request's span stops just after the response is sent.
        var requestSpan = await EventuallyAsync(() => stopped.FirstOrDefault(a => a.Source.Name == "Microsoft.AspNetCore"
            && (string?)a.GetTagItem("tenantrag.tenant") == tenant.Slug.Value
            && stopped.Any(s => s.OperationName == "tenantrag.search" && s.ParentSpanId == a.SpanId)));
        var trace = stopped.Where(a => a.TraceId == requestSpan.TraceId).ToList();
        var search = trace.Single(a => a.OperationName == "tenantrag.search");
        var commands = trace.Where(a => a.Source.Name == "Npgsql").ToList();
        var dedicated = await server.Database.Catalog.CreateAsync(Slugs.Unique("oteltraced"), TenancyMode.Dedicated, Ct);
        var password = postgres.Secrets.DerivePassword(server.Database.Installation.Names.DedicatedRole(dedicated.Slug));
        var provisioning = stopped.Where(a => a.Source.Name == "Npgsql" && (string?)a.GetTagItem("db.namespace") == server.Database.Installation.Names.Catalog).ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(requestSpan.SpanId, search.ParentSpanId);
        Assert.Equal(tenant.Slug.Value, search.GetTagItem("tenantrag.tenant"));
        Assert.Equal("hybrid", search.GetTagItem("tenantrag.search.retriever"));
        Assert.NotEmpty(commands);
        Assert.All(commands, c => Assert.True(Descends(c, requestSpan, trace), $"{c.DisplayName} is not beneath the request's span"));
        Assert.Contains(commands, c => ((string?)c.GetTagItem("db.query.text"))?.Contains("SET LOCAL ROLE authenticated", StringComparison.Ordinal) == true);
        Assert.Contains(provisioning, c => ((string?)c.GetTagItem("db.query.text"))?.StartsWith("CREATE DATABASE", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(stopped, c => c.TagObjects.Any(tag => tag.Value?.ToString()?.Contains(password, StringComparison.Ordinal) == true));
        Assert.All(trace, span =>
        {
            Assert.DoesNotContain(query, span.DisplayName, StringComparison.Ordinal);
            Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains(query[..14], StringComparison.Ordinal) == true);
        });
    }

    private static bool Descends(Activity span, Activity ancestor, List<Activity> trace)
    {
        var bySpan = trace.ToDictionary(a => a.SpanId);
        for (var parent = span.ParentSpanId; parent != default; parent = bySpan.TryGetValue(parent, out var p) ? p.ParentSpanId : default)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    // Waits (within the test's generous timeout) until the listener has seen what the test is after.
    private static async Task<Activity> EventuallyAsync(Func<Activity?> find)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (find() is { } found)
            {
                return found;
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}
