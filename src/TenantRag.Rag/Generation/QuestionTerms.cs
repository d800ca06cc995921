using System.Text.RegularExpressions;

namespace TenantRag.Rag.Generation;

/// <summary>
/// The content words of a text, lower-cased and crudely stemmed (plural and verb endings), without stop words: enough
/// to measure how many of a question's words a sentence contains.
/// </summary>
public static partial class QuestionTerms
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "been", "being", "but", "by", "can", "could", "did", "do", "does", "doing",
        "for", "from", "had", "has", "have", "having", "he", "her", "his", "how", "i", "if", "in", "into", "is", "it", "its",
        "may", "me", "might", "more", "most", "my", "no", "not", "of", "on", "or", "our", "over", "she", "should", "so",
        "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to",
        "under", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
        "would", "you", "your", "about", "also", "any", "all", "each", "other", "only", "own", "same", "very", "just",
    };

    /// <summary>The distinct terms of <paramref name="text"/>.</summary>
    public static HashSet<string> Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                var word = text[start..i].ToLowerInvariant();
                start = -1;
                if (word.Length > 1 && !StopWords.Contains(word))
                {
                    terms.Add(Stem(word));
                }
            }
        }

        return terms;
    }

    /// <summary>
    /// Whether <paramref name="question"/> asks how to do something (how, which option, where does it go, what do I
    /// pass...) rather than what something is or why: what an instruction, a command or an option answers. A claim
    /// without a question word (as SciFact's are) does not.
    /// </summary>
    public static bool AsksHowTo(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        return HowToCue().IsMatch(question) && !WhatOrWhy().IsMatch(question);
    }

    /// <summary>The share (0 to 1) of <paramref name="question"/>'s terms found in <paramref name="sentence"/>; 0 for a question without terms.</summary>
    public static float Overlap(HashSet<string> question, HashSet<string> sentence)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(sentence);
        if (question.Count == 0)
        {
            return 0f;
        }

        var found = 0;
        foreach (var term in question)
        {
            if (sentence.Contains(term))
            {
                found++;
            }
        }

        return (float)found / question.Count;
    }

    [GeneratedRegex(@"\b(how|which|where|what (do|does|should|can|command|flag|option|setting|key)|can i|should i|is there a way|i want to|i need to|i'd like to)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HowToCue();

    [GeneratedRegex(@"^\s*(why|who|when|what (is|are|was|were)|what does \S+ mean)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WhatOrWhy();

    // Suffix stripping, then a final silent 'e' dropped, so reduce, reduces, reduced and reducing all become 'reduc'.
    private static string Stem(string word)
    {
        word = StripSuffix(word);
        return word.Length > 4 && word[^1] == 'e' ? word[..^1] : word;
    }

    private static string StripSuffix(string word)
    {
        if (word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal))
        {
            return word[..^3] + "y";
        }

        if (word.Length > 5 && word.EndsWith("ing", StringComparison.Ordinal))
        {
            return word[..^3];
        }

        if (word.Length > 4 && word.EndsWith("ed", StringComparison.Ordinal))
        {
            return word[..^2];
        }

        if (word.Length > 4 && (word.EndsWith("sses", StringComparison.Ordinal) || word.EndsWith("shes", StringComparison.Ordinal)
            || word.EndsWith("ches", StringComparison.Ordinal) || word.EndsWith("xes", StringComparison.Ordinal)))
        {
            return word[..^2];
        }

        if (word.Length > 3 && word[^1] == 's' && word[^2] is not ('s' or 'u' or 'i'))
        {
            return word[..^1];
        }

        return word;
    }
}
