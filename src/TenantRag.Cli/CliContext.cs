using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using Npgsql;
using TenantRag.Hosting;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;

namespace TenantRag.Cli;

/// <summary>What every command gets: its parsed arguments, output helpers and the database on demand.</summary>
internal sealed class CliContext
{
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print machine-readable JSON on stdout",
        Recursive = true,
    };

    // Quotes, '<' and non-ASCII letters stay readable ("Bob's", not "Bob\u0027s"): the output goes to terminals and
    // programs, never into an HTML page. Control characters and lone surrogates are still escaped.
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly JsonSerializerOptions ErrorJsonOptions = new(JsonOptions) { WriteIndented = false };

    private CliContext(ParseResult parse, CancellationToken cancellationToken)
    {
        Parse = parse;
        CancellationToken = cancellationToken;
        Json = parse.GetValue(JsonOption);
    }

    private IConfigurationRoot? _configuration;
    private TenantRagHome? _home;
    private Dictionary<string, string?>? _overrides;

    public ParseResult Parse { get; }

    public bool Json { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>The settings (see <see cref="CliConfiguration"/>), read once per command.</summary>
    public IConfigurationRoot Configuration => _configuration ??= LoadConfiguration();

    /// <summary>The installation's home: <c>TenantRag:Home</c>, else <c>$TENANTRAG_HOME</c>, else <c>./.tenantrag</c>.</summary>
    public TenantRagHome Home => _home ??= Configuration[$"{TenantRagSettings.SectionName}:Home"] is { Length: > 0 } root ? new TenantRagHome(root) : TenantRagHome.FromEnvironment();

    public static bool IsExternal => Environment.GetEnvironmentVariable("TENANTRAG_DATABASE_URL") is { Length: > 0 };

    /// <summary>
    /// The command's composition root: a started host with the library's registration and the operator service (see
    /// <see cref="CliHost"/>). The database is opened (the embedded cluster started if needed) before this returns.
    /// </summary>
    public Task<CliHost> StartHostAsync(Action<TenantRagSetup>? configure = null) => CliHost.StartAsync(Configuration, configure, CancellationToken);

    /// <summary>Starts the embedded cluster if needed, bootstraps and migrates, and reports what start-up repaired.</summary>
    public async Task<TenantRagDatabase> OpenDatabaseAsync(TenancyOptions? options = null)
    {
        var database = await TenantRagSettings.Read(Configuration).OpenDatabaseAsync(options, cancellationToken: CancellationToken).ConfigureAwait(false);
        foreach (var notice in database.Notices)
        {
            await Console.Error.WriteLineAsync($"note: {notice}").ConfigureAwait(false);
        }

        return database;
    }

    private IConfigurationRoot LoadConfiguration()
    {
        var configuration = CliConfiguration.Build(_overrides);
        foreach (var misplaced in CliConfiguration.Misplaced(configuration))
        {
            Console.Error.WriteLine($"warning: {misplaced}");
        }

        return configuration;
    }

    /// <summary>Settings a command sets itself (<c>serve --dev-auth</c>), above every other source. Set before the first use of <see cref="Configuration"/>.</summary>
    public void Override(string key, string? value)
    {
        if (_configuration is not null)
        {
            throw new InvalidOperationException("settings are already read");
        }

        (_overrides ??= [])[key] = value;
    }

    /// <summary>
    /// Asks on the terminal before a deletion (<c>[y/N]</c>; anything but y or yes keeps it, and says so). Call
    /// <see cref="RequireConsent"/> first, before anything is opened, and this once the thing to delete is known.
    /// </summary>
    public async Task<bool> ConfirmAsync(string question)
    {
        await Console.Error.WriteAsync($"{question} [y/N] ").ConfigureAwait(false);
        var answer = (await Console.In.ReadLineAsync(CancellationToken).ConfigureAwait(false))?.Trim();
        if (string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        await Console.Error.WriteLineAsync("not deleted").ConfigureAwait(false);
        return false;
    }

    /// <summary>Deleting asks first: without <c>--yes</c> and without a terminal to ask on, a usage error (exit 2).</summary>
    public static void RequireConsent(bool yes)
    {
        if (!yes && Console.IsInputRedirected)
        {
            throw new UsageException("deleting asks first, and there is no terminal to ask on: pass --yes to delete without asking");
        }
    }

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>
    /// An error on stderr: one line "error: ...", or with <c>--json</c> one line of JSON,
    /// <c>{"error":"...","exitCode":N}</c>, so that a program reading the output never has to parse prose.
    /// </summary>
    public static async Task<int> WriteErrorAsync(bool json, string message, int exitCode)
    {
        await Console.Error.WriteLineAsync(json
            ? JsonSerializer.Serialize(new { error = message, exitCode }, ErrorJsonOptions)
            : $"error: {message}").ConfigureAwait(false);
        return exitCode;
    }

    /// <summary>An error of this command (see <see cref="WriteErrorAsync(bool, string, int)"/>).</summary>
    public Task<int> WriteErrorAsync(string message, int exitCode) => WriteErrorAsync(Json, message, exitCode);

    /// <summary>Wraps a command body: known errors become one line on stderr and their exit code, never a stack trace.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<CliContext, Task<int>> body) => async (parse, cancellationToken) =>
    {
        var json = parse.GetValue(JsonOption);
        try
        {
            return await body(new CliContext(parse, cancellationToken)).ConfigureAwait(false);
        }
        catch (TenantRagException ex)
        {
            return await WriteErrorAsync(json, ex.Message, ex.ExitCode).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            return await WriteErrorAsync(json, $"PostgreSQL said: {ex.MessageText} (SQLSTATE {ex.SqlState})", 1).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            return await WriteErrorAsync(json, $"could not talk to PostgreSQL ({ex.Message}): check 'tenantrag db status'", 1).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("cancelled").ConfigureAwait(false);
            return 130;
        }
    };
}
