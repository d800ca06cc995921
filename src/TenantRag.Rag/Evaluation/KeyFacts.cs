using System.Text;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Whether an answer states a key fact: its text contains one of the fact's phrasings, compared without regard to case
/// (invariant) and with every run of whitespace taken as one space, so a fact quoted across a line break still counts.
/// </summary>
public static class KeyFacts
{
    /// <summary>The first of <paramref name="phrasings"/> that <paramref name="text"/> contains, or null when it states none.</summary>
    public static string? FindIn(string text, IEnumerable<string> phrasings)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(phrasings);
        var normalised = Normalise(text);
        return normalised.Length == 0
            ? null
            : phrasings.FirstOrDefault(p => Normalise(p) is { Length: > 0 } fact && normalised.Contains(fact, StringComparison.Ordinal));
    }

    /// <summary><paramref name="text"/> in lower case (invariant), trimmed, with every run of whitespace replaced by one space.</summary>
    public static string Normalise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }
}
