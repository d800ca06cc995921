namespace TenantRag.Rag.Generation;

/// <summary>How an answer was made.</summary>
public enum AnswerMode
{
    /// <summary>Nothing relevant was found: no answer was given (see <see cref="Answer.NoAnswerReason"/>).</summary>
    None,

    /// <summary>The best supporting sentences of the retrieved chunks, each cited; no chat model involved.</summary>
    Extractive,

    /// <summary>Written by the configured chat model from the retrieved, numbered context.</summary>
    Generated,
}
