using System.Text.RegularExpressions;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Installation;

/// <summary>
/// The names of an installation's databases and roles (docs/DESIGN.md §1-2), all derived from one prefix (default
/// <c>tenantrag</c>), so a test suite can keep several installations apart on one server.
/// </summary>
public sealed partial record InstallationNames
{
    /// <summary>Creates names from a prefix of 1-15 characters of <c>a-z</c>, <c>0-9</c>, <c>_</c>.</summary>
    public InstallationNames(string prefix = "tenantrag")
    {
        if (!PrefixRegex().IsMatch(prefix))
        {
            throw new ConfigurationException($"invalid installation prefix '{prefix}': use 1-15 characters of a-z, 0-9 and '_', starting with a letter");
        }

        Prefix = prefix;
    }

    /// <summary>The prefix.</summary>
    public string Prefix { get; }

    /// <summary>The control-plane database.</summary>
    public string Catalog => $"{Prefix}_catalog";

    /// <summary>The migrated template every dedicated database is copied from.</summary>
    public string Template => $"{Prefix}_template";

    /// <summary>The database of every shared tenant.</summary>
    public string Shared => $"{Prefix}_shared";

    /// <summary>Owner of schemas and tables; runs migrations and provisioning; never serves a tenant request.</summary>
    public string AdminRole => $"{Prefix}_admin";

    /// <summary>The login role that serves requests: not an owner, NOBYPASSRLS, NOINHERIT.</summary>
    public string AppRole => $"{Prefix}_app";

    /// <summary>The role policies are written to (same name as Neon RLS / Supabase, shared by installations).</summary>
    public static string AuthenticatedRole => "authenticated";

    /// <summary>The role for unauthenticated access (granted nothing on tenant data).</summary>
    public static string AnonymousRole => "anonymous";

    /// <summary>A dedicated tenant's database.</summary>
    public string DedicatedDatabase(TenantSlug slug) => $"{Prefix}_t_{slug.IdentifierPart}";

    /// <summary>A dedicated tenant's own login role, which can connect to its database only.</summary>
    public string DedicatedRole(TenantSlug slug) => $"{Prefix}_t_{slug.IdentifierPart}";

    /// <summary>A <c>LIKE</c> pattern matching every dedicated tenant database of this prefix (<c>prefix_t_%</c>).</summary>
    internal string DedicatedDatabasePattern => Prefix.Replace("_", "\\_", StringComparison.Ordinal) + "\\_t\\_%";

    /// <summary>Whether <paramref name="database"/> is one of this installation's: its catalog, template, shared or a dedicated database.</summary>
    internal bool IsOwnDatabase(string database) =>
        database == Catalog || database == Template || database == Shared || database.StartsWith(Prefix + "_t_", StringComparison.Ordinal);

    [GeneratedRegex(@"\A[a-z][a-z0-9_]{0,14}\z")]
    private static partial Regex PrefixRegex();
}
