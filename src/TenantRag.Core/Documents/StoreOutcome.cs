namespace TenantRag.Documents;

/// <summary>What storing a document did.</summary>
public enum StoreOutcome
{
    /// <summary>A new document.</summary>
    Added,

    /// <summary>The source existed with other content; its chunks were replaced atomically.</summary>
    Replaced,

    /// <summary>The source existed with the same content hash; nothing changed.</summary>
    Unchanged,
}
