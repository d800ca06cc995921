namespace TenantRag.Rag.Generation;

/// <summary>Retrieved chunks as numbered sources for a prompt.</summary>
public sealed record PackedContext
{
    /// <summary>The sources as prompt text: <c>[n] heading (part p)</c>, then the chunk text, for each.</summary>
    public required string Text { get; init; }

    /// <summary>The sources in number order.</summary>
    public required IReadOnlyList<Citation> Sources { get; init; }

    /// <summary>Tokens of <see cref="Text"/>, as counted by the packer.</summary>
    public required int Tokens { get; init; }
}
