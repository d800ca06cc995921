namespace TenantRag.Testing;

/// <summary>
/// One entry of the <see cref="HostileStrings"/> corpus: a stable, printable name (what a test case shows, e.g.
/// <c>sql/quote-drop</c>), its category and the hostile text itself.
/// </summary>
public sealed record HostileString(string Name, string Category, string Value)
{
    /// <summary>
    /// True when the text is something a person could have typed on one line: not empty or all whitespace, no
    /// control characters (NUL, CR, LF, ESC, DEL, C1), no lone surrogate halves (text that UTF-8 cannot hold).
    /// Fields that take a line of free text (titles, user ids) accept exactly these, up to their length limit.
    /// </summary>
    public bool IsPrintableLine => IsPrintableLineText(Value);

    /// <summary>
    /// Like <see cref="IsPrintableLine"/>, but tab, CR and LF are allowed (query text and document bodies may span
    /// lines).
    /// </summary>
    public bool IsPrintableText => IsPrintable(Value, allowLineBreaks: true);

    /// <summary>False when the text holds a surrogate half without its partner (no UTF-8 form exists for it).</summary>
    public bool IsValidUnicode => IsWellFormedUtf16(Value);

    /// <summary><see cref="IsPrintableLine"/> for any text (a trimmed value, a file name's last segment).</summary>
    public static bool IsPrintableLineText(string text) => IsPrintable(text, allowLineBreaks: false);

    /// <summary><see cref="IsPrintableText"/> for any text (what a server decoded from a query string).</summary>
    public static bool IsPrintableMultilineText(string text) => IsPrintable(text, allowLineBreaks: true);

    /// <summary>The name only: the value may be a megabyte long or hold NUL, which test reports cannot show.</summary>
    public override string ToString() => Name;

    private static bool IsPrintable(string text, bool allowLineBreaks) =>
        !string.IsNullOrWhiteSpace(text)
        && !text.Any(c => char.IsControl(c) && !(allowLineBreaks && c is '\t' or '\n' or '\r'))
        && IsWellFormedUtf16(text);

    private static bool IsWellFormedUtf16(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
