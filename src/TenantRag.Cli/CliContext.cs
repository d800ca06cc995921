using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
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

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private CliContext(ParseResult parse, CancellationToken cancellationToken)
    {
        Parse = parse;
        CancellationToken = cancellationToken;
        Json = parse.GetValue(JsonOption);
    }

    public ParseResult Parse { get; }

    public bool Json { get; }

    public CancellationToken CancellationToken { get; }

    public TenantRagHome Home { get; } = TenantRagHome.FromEnvironment();

    public static bool IsExternal => Environment.GetEnvironmentVariable("TENANTRAG_DATABASE_URL") is { Length: > 0 };

    /// <summary>Starts the embedded cluster if needed, bootstraps and migrates, and reports what start-up repaired.</summary>
    public async Task<TenantRagDatabase> OpenDatabaseAsync(TenancyOptions? options = null)
    {
        var database = await TenantRagDatabase.OpenAsync(Home, options, cancellationToken: CancellationToken).ConfigureAwait(false);
        foreach (var notice in database.Notices)
        {
            await Console.Error.WriteLineAsync($"note: {notice}").ConfigureAwait(false);
        }

        return database;
    }

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Wraps a command body: known errors become one line on stderr and their exit code, never a stack trace.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<CliContext, Task<int>> body) => async (parse, cancellationToken) =>
    {
        try
        {
            return await body(new CliContext(parse, cancellationToken)).ConfigureAwait(false);
        }
        catch (TenantRagException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (PostgresException ex)
        {
            await Console.Error.WriteLineAsync($"error: PostgreSQL said: {ex.MessageText} (SQLSTATE {ex.SqlState})").ConfigureAwait(false);
            return 1;
        }
        catch (NpgsqlException ex)
        {
            await Console.Error.WriteLineAsync($"error: could not talk to PostgreSQL ({ex.Message}): check 'tenantrag db status'").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("cancelled").ConfigureAwait(false);
            return 130;
        }
    };
}
