using System.Text;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Generation;

/// <summary>
/// Packs retrieved chunks, best first, into numbered sources for a chat prompt until a token budget is spent. Tokens
/// are counted with the embedding model's tokenizer when it has one (close enough to a chat model's for a budget),
/// otherwise estimated at four characters per token.
/// </summary>
public sealed class ContextPacker
{
    private readonly ITokenCounter? _tokens;

    /// <summary>Creates a packer.</summary>
    /// <param name="tokens">Counts tokens; null to estimate from characters.</param>
    public ContextPacker(ITokenCounter? tokens = null) => _tokens = tokens;

    /// <summary>The sources that fit into <paramref name="tokenBudget"/>: the first always does, cut if needed.</summary>
    public PackedContext Pack(IReadOnlyList<SearchHit> hits, int tokenBudget)
    {
        ArgumentNullException.ThrowIfNull(hits);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenBudget, 1);
        var text = new StringBuilder();
        var sources = new List<Citation>();
        var used = 0;
        foreach (var hit in hits)
        {
            var number = sources.Count + 1;
            var block = Block(number, hit, hit.Chunk.Content);
            var tokens = Count(block);
            if (used + tokens > tokenBudget)
            {
                if (sources.Count > 0)
                {
                    break;
                }

                // Even one chunk is over budget: keep its share of the budget, cut at a word boundary.
                var keep = Math.Max(1, (int)((long)hit.Chunk.Content.Length * tokenBudget / tokens));
                var content = hit.Chunk.Content[..Math.Min(keep, hit.Chunk.Content.Length)];
                var space = content.LastIndexOf(' ');
                block = Block(number, hit, (space > 0 ? content[..space] : content) + " …");
                tokens = Count(block);
            }

            text.Append(block);
            sources.Add(ExtractiveAnswerer.ToCitation(number, hit));
            used += tokens;
        }

        return new PackedContext { Text = text.ToString(), Sources = sources, Tokens = used };
    }

    private static string Block(int number, SearchHit hit, string content)
    {
        var heading = string.IsNullOrWhiteSpace(hit.Chunk.Heading) || hit.Chunk.Heading == hit.Chunk.DocumentTitle
            ? hit.Chunk.DocumentTitle
            : hit.Chunk.Heading;
        return $"[{number}] {heading} (part {hit.Chunk.Ordinal + 1})\n{content.Trim()}\n\n";
    }

    private int Count(string text) => _tokens?.CountTokens(text) ?? ((text.Length + 3) / 4);
}
