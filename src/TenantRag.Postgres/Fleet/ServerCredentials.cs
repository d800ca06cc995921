using System.Text.Json;
using System.Text.RegularExpressions;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Fleet;

/// <summary>
/// Where a fleet server's bootstrap password is kept, like the installation's own secrets: a file
/// <c>$TENANTRAG_HOME/servers/&lt;name&gt;.json</c> readable by its owner only (0600), or an environment variable whose
/// name the catalog records (<c>env:VAR</c>). The catalog never holds the password, and no message quotes it.
/// </summary>
public static partial class ServerCredentials
{
    /// <summary>The catalog's reference for a password kept in the server's file.</summary>
    public const string FileReference = "file";

    /// <summary>The catalog's reference for a password read from <paramref name="variable"/> (validated).</summary>
    public static string EnvironmentReference(string variable) =>
        VariableRegex().IsMatch(variable)
            ? "env:" + variable
            : throw new UsageException($"invalid --password-env '{UsageException.Echo(variable)}': name an environment variable (letters, digits and '_', not starting with a digit)");

    /// <summary>The file a server's password is kept in.</summary>
    public static string FilePath(TenantRagHome home, string name) => Path.Combine(home.ServersDirectory, ServerName.Parse(name, "server") + ".json");

    /// <summary>Writes the password to the server's file, created 0600 and renamed into place (never readable by others, not even briefly).</summary>
    public static void Save(TenantRagHome home, string name, string password)
    {
        home.EnsureExists();
        Directory.CreateDirectory(home.ServersDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = FilePath(home, name);
        var temp = path + "." + Environment.ProcessId + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(stream, new Stored(password));
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The password <paramref name="reference"/> points at; an error naming the file or variable when it is not there
    /// (or, for a file, when no <paramref name="home"/> is given to find it in).
    /// </summary>
    public static string Read(TenantRagHome? home, string name, string reference)
    {
        if (reference.StartsWith("env:", StringComparison.Ordinal))
        {
            var variable = reference["env:".Length..];
            return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } password
                ? password
                : throw new TenantRagException($"server '{name}': its password is read from the environment variable {variable}, which is not set here");
        }

        if (home is null)
        {
            throw new TenantRagException($"server '{name}': its password is kept in the installation's home (servers/{name}.json), and none was given to read it from");
        }

        var path = FilePath(home, name);
        try
        {
            return JsonSerializer.Deserialize<Stored>(File.ReadAllText(path))?.Password
                ?? throw new TenantRagException($"server '{name}': {path} holds no password: run 'tenantrag server add {name} --url ...' again");
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new TenantRagException($"server '{name}': its password file {path} cannot be read ({ex.GetType().Name}): run 'tenantrag server add {name} --url ...' again", ex);
        }
    }

    /// <summary>Deletes the server's file, if any.</summary>
    public static void Delete(TenantRagHome home, string name)
    {
        // File.Delete throws when the directory itself is missing (a fresh home that never kept a password).
        if (Directory.Exists(home.ServersDirectory))
        {
            File.Delete(FilePath(home, name));
        }
    }

    private sealed record Stored(string Password);

    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_]{0,127}\z")]
    private static partial Regex VariableRegex();
}
