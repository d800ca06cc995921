using Npgsql;
using TenantRag.Postgres.Installation;
using static TenantRag.Postgres.Audit.AuditText;

namespace TenantRag.Postgres.Audit;

/// <summary>
/// Effective access inside one database: for every relation, function and schema outside PostgreSQL's own schemas, what
/// the roles a principal can become (<see cref="RoleGraph.Acting"/>), and the owners of SECURITY DEFINER functions
/// they can call, may do with it, and whether the tenant policy filters it. Five catalog queries on one connection
/// (one more for each round of SECURITY DEFINER owners found).
/// </summary>
internal sealed partial class DatabaseAudit
{
    private static readonly string[] DataCommands = ["SELECT", "INSERT", "UPDATE", "DELETE"];

    private readonly string _database;
    private readonly RoleGraph _graph;
    private readonly InstallationNames _names;

    // Roles whose rights a principal borrows by calling a SECURITY DEFINER function they own, with the function's name.
    private readonly Dictionary<uint, string> _definerOwners = [];
    private List<RelationInfo> _relations = [];
    private List<Access> _access = [];
    private List<PolicyInfo> _policies = [];
    private List<FunctionInfo> _functions = [];
    private List<SchemaInfo> _schemas = [];

    private DatabaseAudit(string database, RoleGraph graph, InstallationNames names)
    {
        _database = database;
        _graph = graph;
        _names = names;
    }

    // IndexedColumns: the columns an index can find rows by: an index's first column, or its second after tenant_id (a
    // column further right, or behind another column, does not help the policies' filter).
    private sealed record RelationInfo(uint Oid, string Schema, string Name, char Kind, uint Owner, bool RlsEnabled, bool RlsForced, bool SecurityInvoker,
        HashSet<string> Columns, HashSet<string> IndexedColumns)
    {
        public string Sql => $"{Quote(Schema)}.{Quote(Name)}";

        public bool HasTenant => Columns.Contains("tenant_id");

        public string KindSql => Kind switch { 'v' => "VIEW", 'm' => "MATERIALIZED VIEW", 'S' => "SEQUENCE", 'f' => "FOREIGN TABLE", _ => "TABLE" };
    }

    // One privilege an acting role holds on a relation (or on one of its columns), and the grantee it holds it through.
    private sealed record Access(uint Relation, uint Acting, uint Grantee, string Privilege, string? Column);

    private sealed record PolicyInfo(uint Relation, string Name, char Command, bool Permissive, string? Using, string? Check, HashSet<uint> AppliesTo)
    {
        // For INSERT and for the new row of an UPDATE, PostgreSQL checks WITH CHECK, or USING when there is none.
        public string? CheckOrUsing => Check ?? Using;
    }

    private sealed record FunctionInfo(string Schema, string Name, string Arguments, char Kind, bool SecurityDefiner, uint Owner, bool FixedSearchPath,
        uint[] Executors, uint[] Grantees)
    {
        public string Sql => $"{Quote(Schema)}.{Quote(Name)}({Arguments})";

        public string KindSql => Kind == 'a' ? "AGGREGATE" : "ROUTINE";
    }

    private sealed record SchemaInfo(string Name, uint Owner, uint[] Creators, uint[] CreateGrantees);

    /// <summary>Every finding in <paramref name="database"/>, read through <paramref name="connection"/> (search_path pg_catalog).</summary>
    public static async Task<IReadOnlyList<AuditFinding>> RunAsync(NpgsqlConnection connection, string database, RoleGraph graph, InstallationNames names,
        CancellationToken cancellationToken)
    {
        var audit = new DatabaseAudit(database, graph, names);
        await audit.LoadAsync(connection, cancellationToken).ConfigureAwait(false);
        return [.. audit.OwnershipFindings(), .. audit.RelationFindings(), .. audit.FunctionFindings(), .. audit.SchemaFindings(), .. audit.IndexFindings()];
    }

    private HashSet<uint> ActingWithDefinerOwners => [.. _graph.Acting, .. _definerOwners.Keys];

    private string Object(string schema, string name) => $"{_database}.{schema}.{name}";

    private string RoleName(uint oid) => _graph[oid]?.Name ?? oid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // How an acting role is reached, for messages: "authenticated", or "alice_reports (owner of SECURITY DEFINER function ...)".
    private string Describe(uint acting) =>
        _definerOwners.TryGetValue(acting, out var function) ? $"{RoleName(acting)} (owner of SECURITY DEFINER function {function})" : RoleName(acting);

    private async Task LoadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        _relations = await ReadRelationsAsync(connection, cancellationToken).ConfigureAwait(false);

        // A SECURITY DEFINER function runs with its owner's rights: when a principal may call it and the owner is
        // confined, the owner's reach is checked like a principal's; an owner that is not confined is a finding.
        for (var round = 0; round < 8; round++)
        {
            var acting = ActingWithDefinerOwners;
            _functions = await ReadFunctionsAsync(connection, acting, cancellationToken).ConfigureAwait(false);
            var borrowed = _functions
                .Where(f => f.SecurityDefiner && f.Executors.Length > 0 && !acting.Contains(f.Owner) && !_graph.Reachable.Contains(f.Owner) && IsConfined(f.Owner))
                .ToList();
            if (borrowed.Count == 0)
            {
                break;
            }

            foreach (var function in borrowed)
            {
                _definerOwners.TryAdd(function.Owner, Object(function.Schema, $"{function.Name}({function.Arguments})"));
            }
        }

        var all = ActingWithDefinerOwners;
        _access = await ReadAccessAsync(connection, all, cancellationToken).ConfigureAwait(false);
        _policies = await ReadPoliciesAsync(connection, all, cancellationToken).ConfigureAwait(false);
        _schemas = await ReadSchemasAsync(connection, all, cancellationToken).ConfigureAwait(false);
    }

    // Confined: no privileged attribute or membership, and owns no relation here (an owner is not filtered unless
    // FORCE is set, and may switch row-level security off).
    private bool IsConfined(uint role) =>
        _graph[role] is { } r
        && _graph.Closure(role).All(oid => _graph[oid] is { } reached && _graph.Privilege(reached) is null)
        && _relations.All(rel => rel.Owner != role)
        && r.Name != _names.AdminRole;

    private static async Task<List<RelationInfo>> ReadRelationsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relowner, c.relrowsecurity, c.relforcerowsecurity,
                   coalesce(EXISTS (SELECT 1 FROM unnest(c.reloptions) AS o WHERE lower(o) IN ('security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes')), false),
                   array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                   array(SELECT DISTINCT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
                         WHERE i.indrelid = c.oid
                           AND (a.attnum = i.indkey[0]
                                OR (a.attnum = i.indkey[1] AND EXISTS (SELECT 1 FROM pg_attribute t
                                    WHERE t.attrelid = i.indrelid AND t.attnum = i.indkey[0] AND t.attname = 'tenant_id'))))
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {AuditedSchema("n.nspname")}
            ORDER BY 2, 3
            """, connection);
        var relations = new List<RelationInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            relations.Add(new RelationInfo(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)[0], reader.GetFieldValue<uint>(4),
                reader.GetBoolean(5), reader.GetBoolean(6), reader.GetBoolean(7), [.. reader.GetFieldValue<string[]>(8)], [.. reader.GetFieldValue<string[]>(9)]));
        }

        return relations;
    }

    // Explicit grants only (table and column ACLs, PUBLIC included, held directly or inherited): what predefined roles
    // such as pg_read_all_data give is reported on the role, and the owner's rights by the ownership rule.
    private static async Task<List<Access>> ReadAccessAsync(NpgsqlConnection connection, IReadOnlyCollection<uint> acting, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand($"""
            WITH rels AS (
                SELECT c.oid, c.relkind, c.relowner, c.relacl, c.relnamespace FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {AuditedSchema("n.nspname")}),
            grants AS (
                SELECT r.oid AS relid, r.relnamespace, r.relowner, NULL::text AS col, a.grantee, a.privilege_type
                FROM rels r, aclexplode(coalesce(r.relacl, acldefault(CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END::"char", r.relowner))) a
                UNION ALL
                SELECT r.oid, r.relnamespace, r.relowner, att.attname::text, a.grantee, a.privilege_type
                FROM rels r JOIN pg_attribute att ON att.attrelid = r.oid AND att.attnum > 0 AND NOT att.attisdropped AND att.attacl IS NOT NULL,
                     aclexplode(att.attacl) a)
            SELECT g.relid, u.oid, g.grantee, g.privilege_type, g.col
            FROM grants g CROSS JOIN unnest($1::oid[]) AS u(oid)
            WHERE g.grantee <> g.relowner
              AND CASE WHEN g.grantee = 0 THEN true ELSE pg_has_role(u.oid, g.grantee, 'USAGE') END
              AND has_schema_privilege(u.oid, g.relnamespace, 'USAGE')
            """, connection);
        cmd.Parameters.Add(Oids(acting));
        var access = new List<Access>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            access.Add(new Access(reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(1), reader.GetFieldValue<uint>(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return access;
    }

    // A policy applies to a role that has the privileges of one of its roles (or to everyone when it names PUBLIC).
    private static async Task<List<PolicyInfo>> ReadPoliciesAsync(NpgsqlConnection connection, IReadOnlyCollection<uint> acting, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT p.polrelid, p.polname::text, p.polcmd::text, p.polpermissive, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
                   array(SELECT u FROM unnest($1::oid[]) AS u
                         WHERE EXISTS (SELECT 1 FROM unnest(p.polroles) AS r WHERE CASE WHEN r = 0 THEN true ELSE pg_has_role(u, r, 'USAGE') END))
            FROM pg_policy p
            ORDER BY p.polrelid, p.polname
            """, connection);
        cmd.Parameters.Add(Oids(acting));
        var policies = new List<PolicyInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            policies.Add(new PolicyInfo(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2)[0], reader.GetBoolean(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), [.. reader.GetFieldValue<uint[]>(6)]));
        }

        return policies;
    }

    // SECURITY DEFINER functions and functions an acting role owns: who may call them (EXECUTE and USAGE on the schema)
    // and through which grantees.
    private static async Task<List<FunctionInfo>> ReadFunctionsAsync(NpgsqlConnection connection, IReadOnlyCollection<uint> acting, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid), p.prokind::text, p.prosecdef, p.proowner,
                   coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c WHERE c LIKE 'search\_path=%'), false),
                   array(SELECT u FROM unnest($1::oid[]) AS u WHERE has_function_privilege(u, p.oid, 'EXECUTE') AND has_schema_privilege(u, n.oid, 'USAGE')),
                   array(SELECT DISTINCT a.grantee FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                         WHERE a.grantee <> p.proowner
                           AND EXISTS (SELECT 1 FROM unnest($1::oid[]) AS u WHERE CASE WHEN a.grantee = 0 THEN true ELSE pg_has_role(u, a.grantee, 'USAGE') END))
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE {AuditedSchema("n.nspname")} AND (p.prosecdef OR p.proowner = ANY($1))
            ORDER BY 1, 2, 3
            """, connection);
        cmd.Parameters.Add(Oids(acting));
        var functions = new List<FunctionInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            functions.Add(new FunctionInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)[0], reader.GetBoolean(4),
                reader.GetFieldValue<uint>(5), reader.GetBoolean(6), reader.GetFieldValue<uint[]>(7), reader.GetFieldValue<uint[]>(8)));
        }

        return functions;
    }

    private static async Task<List<SchemaInfo>> ReadSchemasAsync(NpgsqlConnection connection, IReadOnlyCollection<uint> acting, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT n.nspname::text, n.nspowner,
                   array(SELECT u FROM unnest($1::oid[]) AS u WHERE has_schema_privilege(u, n.oid, 'CREATE')),
                   array(SELECT DISTINCT a.grantee FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                         WHERE a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner
                           AND EXISTS (SELECT 1 FROM unnest($1::oid[]) AS u WHERE CASE WHEN a.grantee = 0 THEN true ELSE pg_has_role(u, a.grantee, 'USAGE') END))
            FROM pg_namespace n
            WHERE {AuditedSchema("n.nspname")}
            ORDER BY 1
            """, connection);
        cmd.Parameters.Add(Oids(acting));
        var schemas = new List<SchemaInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            schemas.Add(new SchemaInfo(reader.GetString(0), reader.GetFieldValue<uint>(1), reader.GetFieldValue<uint[]>(2), reader.GetFieldValue<uint[]>(3)));
        }

        return schemas;
    }
}
