namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>How an <see cref="IIngestionStep"/> ended.</summary>
public enum IngestionStepResultKind
{
    /// <summary>Done; the job goes on to the next step.</summary>
    Success,

    /// <summary>Failed for a reason that may pass (a dropped connection, a serialization conflict); the step is run again.</summary>
    Retriable,

    /// <summary>Failed for good (a corrupt file, a rejected row); the job stops and is reported.</summary>
    Fatal,
}
