using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Where the command line reads its settings: <c>appsettings.json</c> in <c>$TENANTRAG_HOME</c> and in the working
/// directory (which wins), then the environment (which wins over both), all in the <c>TenantRag</c> section; a setting
/// written outside that section is named, not ignored in silence.
/// </summary>
[Collection(TenantCommandTests.CommandLineCollection)]
public sealed class CliSettingsTests(PostgresServer server) : IDisposable
{
    private readonly CliRunner _cli = TenantRagCli.For(server);

    private readonly string _workingDirectory = Directory.CreateTempSubdirectory("tenantrag-cwd-").FullName;

    [Fact]
    public async Task Settings_FromTheHome_ThenTheWorkingDirectory_ThenTheEnvironment()
    {
        _cli.WorkingDirectory = _workingDirectory;
        var file = Path.Combine(_workingDirectory, "long.md");
        await File.WriteAllTextAsync(file, "# Long\n\n" + string.Concat(Enumerable.Repeat("A sentence that takes room. ", 20)) + "\n", TestContext.Current.CancellationToken);
        var slug = Slugs.UniqueText("settings");
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", "shared");
        Assert.True(created.ExitCode == 0, created.ToString());

        // The home's file alone: its limit is in force.
        await WriteSettingsAsync(_cli.Home, """{ "TenantRag": { "Ingestion": { "MaxCharactersPerDocument": 200 } } }""");
        var fromHome = await _cli.RunAsync("ingest", slug, file, "--json");

        // The working directory's file over the home's: a bad value there is refused, naming the key.
        await WriteSettingsAsync(_workingDirectory, """{ "TenantRag": { "Ingestion": { "MaxCharactersPerDocument": 0 } } }""");
        var fromWorkingDirectory = await _cli.RunAsync("ingest", slug, file);

        // The environment over both: a limit high enough for the file.
        var fromEnvironment = await _cli.RunAsync(new Dictionary<string, string> { ["TenantRag__Ingestion__MaxCharactersPerDocument"] = "100000" }, "ingest", slug, file, "--json");

        await _cli.RunAsync("tenant", "delete", slug, "--yes");
        Assert.True(fromHome.ExitCode == 1, fromHome.ToString());
        Assert.Equal("TooManyCharacters", Assert.Single(fromHome.Json().GetProperty("rejected").EnumerateArray()).GetProperty("reason").GetString());
        Assert.True(fromWorkingDirectory.ExitCode == 2, fromWorkingDirectory.ToString());
        Assert.StartsWith("error: setting Ingestion:MaxCharactersPerDocument is 0", fromWorkingDirectory.StdErr, StringComparison.Ordinal);
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.Equal(1, fromEnvironment.Json().GetProperty("added").GetInt32());
    }

    [Fact]
    public async Task ASettingOutsideTheTenantRagSection_IsNamedAsIgnored()
    {
        var run = await _cli.RunAsync(new Dictionary<string, string> { ["Limits__Burst"] = "5" }, "tenant", "list", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var warning = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("warning: ", StringComparison.Ordinal));
        Assert.Contains("'Limits'", warning, StringComparison.Ordinal);
        Assert.Contains("TenantRag__Limits__", warning, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_workingDirectory, recursive: true);
    }

    private static Task WriteSettingsAsync(string directory, string json) =>
        File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), json, TestContext.Current.CancellationToken);
}
