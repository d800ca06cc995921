namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Counts tokens the way the embedding model's own tokenizer does, so that chunk sizes
/// can be measured in the unit the model actually truncates on.
/// </summary>
public interface ITokenCounter
{
    /// <summary>
    /// Returns the number of model tokens in <paramref name="text"/>, excluding the
    /// special tokens (such as <c>[CLS]</c> and <c>[SEP]</c>) the model adds around every input,
    /// and without truncation at the model's maximum sequence length.
    /// </summary>
    /// <param name="text">The text to measure; an empty string has zero tokens.</param>
    /// <returns>The token count.</returns>
    int CountTokens(string text);
}
