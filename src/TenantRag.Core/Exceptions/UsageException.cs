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
}
