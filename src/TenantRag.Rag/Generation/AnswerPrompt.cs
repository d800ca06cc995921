using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace TenantRag.Rag.Generation;

/// <summary>The chat messages that ask a model to answer from numbered sources with <c>[n]</c> citations, and the parsing of those citations.</summary>
public static partial class AnswerPrompt
{
    /// <summary>What the model is told to say when the sources do not answer the question.</summary>
    public const string NotFoundReply = "I could not find the answer in the documents.";

    /// <summary>The system instruction.</summary>
    public const string SystemInstruction =
        "You answer questions using only the numbered sources given with the question. After each sentence that uses a "
        + "source, cite it by its number in square brackets, like [1] or [1][3]. Do not use outside knowledge and do not "
        + "cite a number that is not among the sources. If the sources do not contain the answer, reply exactly: "
        + NotFoundReply + " Answer briefly, in the language of the question.";

    /// <summary>The messages for <paramref name="question"/> over <paramref name="context"/>.</summary>
    public static IReadOnlyList<ChatMessage> Build(string question, PackedContext context)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(context);
        return
        [
            new ChatMessage(ChatRole.System, SystemInstruction),
            new ChatMessage(ChatRole.User, $"Sources:\n\n{context.Text}Question: {question}"),
        ];
    }

    /// <summary>The source numbers <paramref name="text"/> cites (<c>[2]</c>, <c>[1][3]</c>, <c>[1, 3]</c>), distinct, in order of first citation.</summary>
    public static IReadOnlyList<int> CitedNumbers(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var numbers = new List<int>();
        foreach (Match match in CitationPattern().Matches(text))
        {
            foreach (var part in match.Groups[1].Value.Split(','))
            {
                if (int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && !numbers.Contains(number))
                {
                    numbers.Add(number);
                }
            }
        }

        return numbers;
    }

    [GeneratedRegex(@"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]", RegexOptions.CultureInvariant)]
    private static partial Regex CitationPattern();
}
