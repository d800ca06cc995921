using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TenantRag.Postgres.Installation;

/// <summary>
/// Generated credentials of an installation, kept in <see cref="TenantRagHome.SecretsFile"/> with mode 0600.
/// Dedicated-tenant login passwords are derived from <see cref="TenantRoleKey"/>, so they are never stored.
/// </summary>
public sealed record Secrets
{
    /// <summary>Password of the embedded cluster's bootstrap superuser <c>postgres</c>.</summary>
    public required string SuperuserPassword { get; init; }

    /// <summary>Password of <c>tenantrag_admin</c>.</summary>
    public required string AdminPassword { get; init; }

    /// <summary>Password of <c>tenantrag_app</c>, the serving role.</summary>
    public required string AppPassword { get; init; }

    /// <summary>Key from which each dedicated tenant's login password is derived, and the key of document-list cursors (<see cref="Documents.DocumentCursor"/>).</summary>
    public required string TenantRoleKey { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The password of a dedicated tenant's login role: HMAC-SHA256 of the role name under the key.</summary>
    public string DerivePassword(string roleName) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(TenantRoleKey), Encoding.UTF8.GetBytes(roleName)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Reads the secrets file, creating it with fresh random values when missing.</summary>
    public static Secrets LoadOrCreate(TenantRagHome home)
    {
        home.EnsureExists();
        var path = home.SecretsFile;
        if (File.Exists(path))
        {
            try
            {
                return JsonSerializer.Deserialize<Secrets>(File.ReadAllText(path), JsonOptions)
                    ?? throw new ConfigurationException($"secrets file {path} is empty: delete it together with {home.DataDirectory} to start over");
            }
            catch (JsonException ex)
            {
                throw new ConfigurationException($"secrets file {path} is not valid JSON ({ex.Message}): restore it, or delete it together with {home.DataDirectory} to start over", ex);
            }
        }

        var secrets = new Secrets
        {
            SuperuserPassword = NewSecret(),
            AdminPassword = NewSecret(),
            AppPassword = NewSecret(),
            TenantRoleKey = NewSecret(),
        };

        // Write to a private temporary file first, then rename, so a concurrent reader never sees half a file
        // and the file is never readable by others, not even briefly.
        var temp = path + "." + Environment.ProcessId + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(stream, secrets, JsonOptions);
        }

        try
        {
            // No overwrite: if another process won the race, its secrets are the ones in use.
            File.Move(temp, path, overwrite: false);
            return secrets;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return LoadOrCreate(home);
        }
    }

    private static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}
