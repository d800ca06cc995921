namespace TenantRag;

/// <summary>Bad input from outside (arguments, slugs, user ids): nothing was changed; exit code 2.</summary>
public class UsageException(string message) : TenantRagException(message)
{
    // Long enough to recognise a typo, short enough that an error never carries a megabyte of someone's input back.
    private const int MaxEcho = 60;

    /// <inheritdoc />
    public override int ExitCode => 2;

    /// <summary>
    /// The offending value as an error message may quote it: at most 60 characters (then "..."), control
    /// characters shown as '?', "(none)" for null. Input may be huge or hold NUL, CR, LF or ESC, and messages end
    /// up in problem documents, logs and terminals.
    /// </summary>
    public static string Echo(string? value)
    {
        if (value is null)
        {
            return "(none)";
        }

        var printable = new string([.. value.Take(MaxEcho).Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c)]);
        return value.Length > MaxEcho ? printable + "..." : printable;
    }

    /// <summary>
    /// Throws when <paramref name="text"/> holds a control character other than tab and line breaks: those make text
    /// span lines, while NUL (which PostgreSQL cannot store), ESC, DEL and C1 characters are not text at all.
    /// </summary>
    /// <param name="text">The text to check.</param>
    /// <param name="what">What the text is, for the message ("query", "document text").</param>
    /// <exception cref="UsageException">The text holds such a character; the message names it.</exception>
    public static void ThrowIfControlCharacters(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text)
        {
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
            {
                throw new UsageException($"the {what} contains the control character U+{(int)c:X4}: remove it");
            }
        }
    }
}
