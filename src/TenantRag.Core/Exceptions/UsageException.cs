namespace TenantRag;

/// <summary>Bad input from outside (arguments, slugs, user ids): nothing was changed; exit code 2.</summary>
public class UsageException(string message) : TenantRagException(message)
{
    /// <inheritdoc />
    public override int ExitCode => 2;
}
