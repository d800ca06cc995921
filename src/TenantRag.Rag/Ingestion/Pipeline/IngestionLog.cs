using Microsoft.Extensions.Logging;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>Log messages of the ingestion pipeline: sources, steps, counts and reasons, never document text.</summary>
internal static partial class IngestionLog
{
    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Ingesting {Files} files into tenant {Tenant} with {Model}")]
    public static partial void RunStarted(ILogger logger, int files, string tenant, string model);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Rejected {Source} at {Step}: {Reason} ({Detail})")]
    public static partial void Rejected(ILogger logger, string source, string step, string reason, string detail);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "Retrying {Step} of {Source} (attempt {Attempt} of {MaxAttempts}): {Reason}")]
    public static partial void Retrying(ILogger logger, string step, string source, int attempt, int maxAttempts, string reason);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Error, Message = "Step {Step} failed unexpectedly on {Source}")]
    public static partial void StepCrashed(ILogger logger, Exception exception, string step, string source);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Information,
        Message = "Ingested into tenant {Tenant}: {Added} added, {Replaced} replaced, {Unchanged} unchanged, {Rejected} rejected; {Chunks} chunks in {Seconds:F1} s ({ChunksPerSecond:F1} chunks/s)")]
    public static partial void RunFinished(ILogger logger, string tenant, int added, int replaced, int unchanged, int rejected, long chunks, double seconds, double chunksPerSecond);
}
