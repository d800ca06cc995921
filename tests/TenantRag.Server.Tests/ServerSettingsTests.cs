using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>The server's settings: the query model's arithmetic, the upload model's priority, and bad values.</summary>
public sealed class ServerSettingsTests(PostgresServer postgres)
{
    [Fact]
    public async Task Queries_embed_in_int8_by_default_and_find_what_float_uploads_stored()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_prec");
        var ct = TestContext.Current.CancellationToken;
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("prec"), TenancyMode.Shared, ct);
        var token = DevelopmentTokenIssuer.LoadOrCreate(server.Home).Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(5), []);
        foreach (var (title, text) in new[]
        {
            ("Passwords", "To change your account password, open Settings, choose Security and follow the reset link."),
            ("Giraffes", "Giraffes are the tallest living terrestrial animals and browse on acacia leaves."),
        })
        {
            using var upload = server.Request(HttpMethod.Post, "/v1/documents", token);
            upload.Content = JsonContent.Create(new { title, text });
            Assert.Equal(HttpStatusCode.Created, (await server.Client.SendAsync(upload, ct)).StatusCode);
        }

        // Worded so that full text alone finds nothing: only the vector side can rank the password page first.
        using var search = server.Request(HttpMethod.Post, "/v1/search", token);
        search.Content = JsonContent.Create(new { query = "how do I get back into my login after forgetting it", k = 2, retriever = "vector" });
        var response = await server.Client.SendAsync(search, ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);

        Assert.Equal(EmbeddingPrecision.Int8, server.App.Services.GetRequiredService<MiniLmEmbeddingGenerator>().Precision);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Passwords", body.GetProperty("hits")[0].GetProperty("documentTitle").GetString());
    }

    [Fact]
    public async Task Float32_can_be_chosen_in_configuration()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_prec",
            new Dictionary<string, string?> { ["Embeddings:QueryPrecision"] = "float32" });

        Assert.Equal(EmbeddingPrecision.Float32, server.App.Services.GetRequiredService<MiniLmEmbeddingGenerator>().Precision);
    }

    [Theory]
    [InlineData("fp16")]
    [InlineData("7")]
    public async Task An_unknown_precision_stops_the_server_from_starting_with_the_setting_named(string value)
    {
        var ex = await Assert.ThrowsAsync<UsageException>(() => TestServer.StartAsync(postgres, "s_prec",
            new Dictionary<string, string?> { ["Embeddings:QueryPrecision"] = value }));

        Assert.Contains("QueryPrecision", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_setting_of_the_wrong_type_is_a_usage_error_naming_the_key()
    {
        var ex = await Assert.ThrowsAsync<UsageException>(() => TestServer.StartAsync(postgres, "s_prec",
            new Dictionary<string, string?> { ["Limits:Burst"] = "lots" }));

        Assert.Contains("Limits:Burst", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.ExitCode);
    }

    [Theory]
    [InlineData("Limits:Burst", "0")]
    [InlineData("Limits:RequestsPerSecond", "-5")]
    [InlineData("Limits:IngestConcurrency", "0")]
    [InlineData("Limits:GlobalIngestConcurrency", "0")]
    [InlineData("Limits:MaxRequestBytes", "10")]
    [InlineData("Ingestion:MaxPagesPerDocument", "0")]
    [InlineData("Ingestion:MaxCharactersPerDocument", "-1")]
    [InlineData("Ingestion:MaxPdfStreamBytes", "0")]
    [InlineData("Embeddings:MinUploadCpuShare", "1.5")]
    [InlineData("Embeddings:MinUploadCpuShare", "-0.25")]
    [InlineData("Database:SharedMaxPoolSize", "0")]
    [InlineData("Database:MaxOpenPools", "-1")]
    [InlineData("Database:IdleTimeout", "00:00:00")]
    public async Task A_limit_no_server_could_run_with_is_a_usage_error_naming_the_key(string key, string value)
    {
        var ex = await Assert.ThrowsAsync<UsageException>(() => TestServer.StartAsync(postgres, "s_prec",
            new Dictionary<string, string?> { [key] = value }));

        Assert.Contains($"setting {key} is {value}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Tenant-Rag")]
    [InlineData("x; DROP DATABASE postgres")]
    [InlineData("")]
    public async Task A_prefix_that_is_not_a_name_part_is_a_usage_error_naming_the_key(string prefix)
    {
        var ex = await Assert.ThrowsAsync<UsageException>(() => TestServer.StartAsync(postgres, "s_prec",
            new Dictionary<string, string?> { ["Database:Prefix"] = prefix }));

        Assert.Contains("Database:Prefix", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    public async Task The_upload_model_runs_at_idle_priority_and_joins_the_idle_cgroup_unless_told_not_to(string? setting, bool joins)
    {
        await using var server = await TestServer.StartAsync(postgres, "s_prec",
            setting is null ? null : new Dictionary<string, string?> { ["Embeddings:IdleCgroup"] = setting });

        var uploads = Assert.IsType<LowPriorityEmbeddingGenerator>(server.App.Services.GetRequiredService<IngestionPipeline>().Generator);
        var priority = uploads.BackgroundPriority;

        Assert.NotNull(priority);
        Assert.StartsWith("SCHED_IDLE, nice 19", priority, StringComparison.Ordinal);
        if (!joins)
        {
            Assert.DoesNotContain("cgroup", priority, StringComparison.Ordinal);
        }
        else if (Environment.UserName == "root" && File.Exists("/sys/fs/cgroup/cpu/cpu.idle"))
        {
            Assert.Matches(@"cgroup tenantrag-background-\d+-\d+ \(cpu\.idle\)$", priority);
        }
    }

    [Theory]
    [InlineData(null, "at least 0.25 of a core")]
    [InlineData("0.5", "at least 0.5 of a core")]
    [InlineData("0", null)]
    public async Task Upload_embedding_gets_a_minimum_cpu_share_of_a_quarter_core_unless_configured(string? setting, string? share)
    {
        await using var server = await TestServer.StartAsync(postgres, "s_prec",
            setting is null ? null : new Dictionary<string, string?> { ["Embeddings:MinUploadCpuShare"] = setting });

        var uploads = Assert.IsType<LowPriorityEmbeddingGenerator>(server.App.Services.GetRequiredService<IngestionPipeline>().Generator);

        if (share is null)
        {
            Assert.Null(uploads.BackgroundShare);
        }
        else
        {
            Assert.StartsWith(share, uploads.BackgroundShare, StringComparison.Ordinal);
        }
    }
}
