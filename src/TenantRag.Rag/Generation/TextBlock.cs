namespace TenantRag.Rag.Generation;

/// <summary>A paragraph of a passage (text between blank lines), with what it holds.</summary>
/// <param name="Kind">Prose, code or a term.</param>
/// <param name="Text">The paragraph, its lines as they are.</param>
internal readonly record struct TextBlock(TextBlockKind Kind, string Text)
{
    /// <summary>Whether it is prose ending with a colon, which introduces what follows ("... by passing a filter:").</summary>
    public bool Introduces => Kind == TextBlockKind.Prose && Text.TrimEnd().EndsWith(':');
}
