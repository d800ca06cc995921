using System.Data.Common;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>Sorts the exceptions steps meet into retriable, fatal for one job, and fatal for the whole run.</summary>
internal static class StepErrors
{
    private const int MaxMessageLength = 300;

    /// <summary>
    /// Errors that say nothing about one document but about the whole run (no such tenant, access denied, bad
    /// configuration): they stop the run instead of failing every document one by one.
    /// </summary>
    public static bool StopsRun(Exception ex) =>
        ex is TenantRagException { IsTransient: false } and not DocumentRejectedException;

    /// <summary>Errors that may pass if the step is run again.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        TenantRagException rag => rag.IsTransient,

        // Serialization failure, deadlock, lock timeout, and the unique index settling two first ingests of one
        // source: a retry finds the other's row and replaces it (or sees it unchanged).
        DbException db => db.IsTransient || db.SqlState is "40001" or "40P01" or "55P03" or "23505",
        // Cancellation the run did not ask for is a timeout (e.g. an HTTP embedding provider's).
        HttpRequestException or TimeoutException or OperationCanceledException => true,
        _ => false,
    };

    /// <summary>The first line of the message, cut to a sane length, with the exception type when the message is empty.</summary>
    public static string Describe(Exception ex)
    {
        var message = ex.Message.ReplaceLineEndings("\n");
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0)
        {
            message = message[..newline];
        }

        message = ChunkText.Cut(message.Trim(), MaxMessageLength);
        return message.Length == 0 ? ex.GetType().Name : message;
    }

    /// <summary>A step result for <paramref name="ex"/>: retriable when it may pass, else fatal, with <paramref name="reason"/>.</summary>
    public static IngestionStepResult ToResult(Exception ex, string reason, string what) => IsTransient(ex)
        ? IngestionStepResult.Retriable(reason, $"{what}: {Describe(ex)}")
        : IngestionStepResult.Fatal(reason, $"{what}: {Describe(ex)}");
}
