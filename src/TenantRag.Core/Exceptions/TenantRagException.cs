namespace TenantRag;

/// <summary>
/// The base of every error TenantRag reports on purpose. Its message is one line that says what failed,
/// the offending value and what to do; <see cref="ExitCode"/> is what the command line exits with.
/// </summary>
public class TenantRagException : Exception
{
    /// <summary>Creates an error with a one-line message.</summary>
    public TenantRagException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Exit code for the command line: 1 for failures, 2 for bad usage.</summary>
    public virtual int ExitCode => 1;

    /// <summary>True when retrying the same operation later may succeed.</summary>
    public bool IsTransient { get; init; }
}
