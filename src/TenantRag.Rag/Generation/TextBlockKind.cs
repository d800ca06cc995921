namespace TenantRag.Rag.Generation;

/// <summary>What a paragraph of a passage holds, as <see cref="TextBlocks"/> reads it.</summary>
internal enum TextBlockKind
{
    /// <summary>Sentences.</summary>
    Prose,

    /// <summary>A command, a listing or a configuration snippet: quoted whole, never split into sentences.</summary>
    Code,

    /// <summary>A term a description follows, such as a command-line option (<c>--no-run</c>) in a list of options.</summary>
    Term,
}
