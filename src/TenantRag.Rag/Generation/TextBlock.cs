namespace TenantRag.Rag.Generation;

/// <summary>A paragraph of a passage (text between blank lines), with what it holds.</summary>
/// <param name="Kind">Prose, code or a term.</param>
/// <param name="Text">The paragraph, its lines as they are.</param>
internal readonly record struct TextBlock(TextBlockKind Kind, string Text);
