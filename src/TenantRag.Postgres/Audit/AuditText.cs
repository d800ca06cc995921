using Npgsql;

namespace TenantRag.Postgres.Audit;

/// <summary>Quoting and wording shared by the audit's rules.</summary>
internal static class AuditText
{
    /// <summary>The names of the schemas the audit skips (PostgreSQL's own), as a condition on <paramref name="column"/>.</summary>
    public static string AuditedSchema(string column) => $"{column} <> 'information_schema' AND {column} NOT LIKE 'pg\\_%'";

    /// <summary>A double-quoted identifier (names read from the system catalogs, never from outside).</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A single-quoted string literal (standard_conforming_strings, PostgreSQL's default since 9.1).</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A role as GRANT and REVOKE take it: <c>PUBLIC</c> for oid 0, else the quoted name.</summary>
    public static string Grantee(RoleGraph graph, uint oid) => oid == 0 ? "PUBLIC" : Quote(graph[oid]?.Name ?? $"unknown role {oid}");

    /// <summary>Up to three names, then how many more: "a, b, c and 197 more".</summary>
    public static string List(IEnumerable<string> names)
    {
        var all = names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return all.Count <= 3 ? string.Join(", ", all) : $"{string.Join(", ", all.Take(3))} and {all.Count - 3} more";
    }

    /// <summary>Role oids as an <c>oid[]</c> parameter.</summary>
    public static NpgsqlParameter Oids(IEnumerable<uint> oids) => new() { Value = oids.ToArray(), DataTypeName = "oid[]" };

    /// <summary>A finding.</summary>
    public static AuditFinding Finding(string rule, string target, string message, string fix) =>
        new() { Rule = rule, Object = target, Message = message, Fix = fix };
}
