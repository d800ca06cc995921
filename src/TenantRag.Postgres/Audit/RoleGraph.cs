using Npgsql;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Audit;

/// <summary>
/// The server's roles and memberships as the audit sees them: the principals that serve tenants (<c>authenticated</c>,
/// <c>anonymous</c>, the serving role and every dedicated tenant's login role), every role each of them can become
/// (membership, direct or through other roles, is what <c>SET ROLE</c> needs, even for a NOINHERIT role), and which of
/// those roles are privileged: reaching one is a finding in itself, so the audit does not reason about its grants.
/// </summary>
internal sealed class RoleGraph
{
    private readonly Dictionary<uint, Role> _roles;
    private readonly Dictionary<uint, Dictionary<uint, uint>> _paths = [];
    private readonly InstallationNames _names;

    private RoleGraph(Dictionary<uint, Role> roles, InstallationNames names)
    {
        _roles = roles;
        _names = names;
        Principals = [.. roles.Values.Where(IsPrincipal).OrderBy(r => r.Name, StringComparer.Ordinal)];
        Reachable = Principals.SelectMany(p => Closure(p.Oid)).ToHashSet();
        Acting = Reachable.Where(oid => Privilege(_roles[oid]) is null).ToHashSet();
        App = roles.Values.FirstOrDefault(r => r.Name == names.AppRole);
    }

    /// <summary>One role, its attributes and the roles it is a direct member of.</summary>
    internal sealed record Role(uint Oid, string Name, bool Superuser, bool BypassRls, bool CreateRole, bool CanLogin, uint[] MemberOf);

    /// <summary>A direct membership: <see cref="Member"/> belongs to <see cref="Of"/>.</summary>
    internal readonly record struct Edge(Role Member, Role Of);

    /// <summary>The roles that serve tenants, by name.</summary>
    public IReadOnlyList<Role> Principals { get; }

    /// <summary>Every role a principal can become, the principals included.</summary>
    public IReadOnlySet<uint> Reachable { get; }

    /// <summary>The reachable roles that are not privileged: the audit checks what each of them can read and write.</summary>
    public IReadOnlySet<uint> Acting { get; }

    /// <summary>The serving role, when it exists.</summary>
    public Role? App { get; }

    /// <summary>A role by oid (null for PUBLIC, 0, and roles dropped since the graph was read).</summary>
    public Role? this[uint oid] => _roles.GetValueOrDefault(oid);

    /// <summary>Reads every role and membership (one query).</summary>
    public static async Task<RoleGraph> LoadAsync(NpgsqlConnection connection, InstallationNames names, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT r.oid, r.rolname::text, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcanlogin,
                   array(SELECT m.roleid FROM pg_auth_members m WHERE m.member = r.oid)
            FROM pg_roles r
            """, connection);
        var roles = new Dictionary<uint, Role>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var oid = reader.GetFieldValue<uint>(0);
            roles[oid] = new Role(oid, reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4), reader.GetBoolean(5),
                reader.GetFieldValue<uint[]>(6));
        }

        return new RoleGraph(roles, names);
    }

    /// <summary>
    /// Why reaching <paramref name="role"/> breaks isolation, or null when it does not by itself: superuser, BYPASSRLS,
    /// CREATEROLE (it can grant itself any role), the admin role, and the predefined roles.
    /// </summary>
    public string? Privilege(Role role) => role switch
    {
        _ when role.Name == _names.AdminRole => "the admin role, which owns every tenant table and bypasses row-level security",
        { Superuser: true } => "SUPERUSER: no privilege check and no row-level security applies to it",
        { BypassRls: true } => "BYPASSRLS: row-level security does not apply to it",
        { CreateRole: true } => "CREATEROLE: it can grant itself any role, the admin role included",
        _ => PredefinedRoles.Why(role.Name),
    };

    /// <summary>Every role <paramref name="from"/> can become (itself included), in breadth-first order.</summary>
    public IEnumerable<uint> Closure(uint from) => ShortestPaths(from).Keys;

    /// <summary>
    /// The membership to revoke so that no principal reaches <paramref name="target"/> along its shortest path: the
    /// first edge of that path that the installation did not make itself (the serving role's and the tenant roles'
    /// membership in <c>authenticated</c> and <c>anonymous</c>); null when <paramref name="target"/> is a principal or
    /// unreachable. Also returns the principals that reach it and the path that was cut.
    /// </summary>
    public (Edge Edge, IReadOnlyList<Role> Path)? EdgeToRevoke(uint target)
    {
        foreach (var principal in Principals)
        {
            var parents = ShortestPaths(principal.Oid);
            if (principal.Oid == target || !parents.ContainsKey(target))
            {
                continue;
            }

            var path = new List<Role>();
            for (var at = target; at != principal.Oid; at = parents[at])
            {
                path.Add(_roles[at]);
            }

            path.Add(principal);
            path.Reverse();
            for (var i = 0; i + 1 < path.Count; i++)
            {
                if (!IsInstallationEdge(path[i], path[i + 1]))
                {
                    return (new Edge(path[i], path[i + 1]), path);
                }
            }
        }

        return null;
    }

    /// <summary>The principals that can become <paramref name="target"/>.</summary>
    public IReadOnlyList<Role> PrincipalsReaching(uint target) =>
        [.. Principals.Where(p => ShortestPaths(p.Oid).ContainsKey(target))];

    /// <summary>Whether <paramref name="role"/> is a dedicated tenant's login role of this installation.</summary>
    public bool IsTenantRole(Role role) => role.Name.StartsWith(_names.Prefix + "_t_", StringComparison.Ordinal);

    private bool IsPrincipal(Role role) =>
        role.Name == InstallationNames.AuthenticatedRole || role.Name == InstallationNames.AnonymousRole || role.Name == _names.AppRole || IsTenantRole(role);

    // The memberships Installer and the tenant catalog grant: app in authenticated and anonymous, a tenant role in authenticated.
    private bool IsInstallationEdge(Role member, Role of) =>
        (member.Name == _names.AppRole && (of.Name == InstallationNames.AuthenticatedRole || of.Name == InstallationNames.AnonymousRole))
        || (IsTenantRole(member) && of.Name == InstallationNames.AuthenticatedRole);

    // Breadth-first over memberships from one role: each reached role with the role it was reached from.
    private Dictionary<uint, uint> ShortestPaths(uint from)
    {
        if (_paths.TryGetValue(from, out var known))
        {
            return known;
        }

        var parents = new Dictionary<uint, uint> { [from] = from };
        var queue = new Queue<uint>([from]);
        while (queue.TryDequeue(out var at))
        {
            foreach (var next in _roles.TryGetValue(at, out var role) ? role.MemberOf : [])
            {
                if (_roles.ContainsKey(next) && parents.TryAdd(next, at))
                {
                    queue.Enqueue(next);
                }
            }
        }

        _paths[from] = parents;
        return parents;
    }
}
