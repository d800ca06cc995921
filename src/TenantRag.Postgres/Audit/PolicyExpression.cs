using System.Text.RegularExpressions;

namespace TenantRag.Postgres.Audit;

/// <summary>
/// Reads a policy expression as PostgreSQL deparses it (<c>pg_get_expr(polqual, polrelid)</c> with
/// <c>search_path = pg_catalog</c>, so every name outside pg_catalog is schema-qualified): does it guarantee the
/// tenant filter, i.e. is <c>tenant_id = (SELECT auth.tenant_id())</c> one of its top-level AND terms?
/// A term inside an OR, a NOT or a CASE guarantees nothing, and neither does <c>tenant_id IS NOT NULL</c>.
/// </summary>
internal static partial class PolicyExpression
{
    /// <summary>The term every policy must AND in, as written in the migrations.</summary>
    public const string TenantFilter = "tenant_id = (SELECT auth.tenant_id())";

    /// <summary>Whether <paramref name="expression"/> keeps every row of another tenant out.</summary>
    public static bool RequiresTenant(string expression) => Conjuncts(expression).Any(c => TenantTerm().IsMatch(c));

    /// <summary>Whether <paramref name="expression"/> accepts every row: "true", "(true)", "1 = 1" and the like.</summary>
    public static bool IsAlwaysTrue(string expression) =>
        Unwrap(expression).Replace("(", string.Empty, StringComparison.Ordinal).Replace(")", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant()
            is "true" or "1 = 1" or "'t'::boolean" or "true::boolean";

    /// <summary>The top-level AND terms, nested ANDs flattened, each without its outer parentheses.</summary>
    public static IReadOnlyList<string> Conjuncts(string expression)
    {
        var text = Unwrap(expression);
        var parts = SplitTopLevelAnd(text);
        return parts.Count == 1 ? [text] : [.. parts.SelectMany(Conjuncts)];
    }

    // Removes parentheses that enclose the whole text: "((a) AND (b))" -> "(a) AND (b)".
    private static string Unwrap(string text)
    {
        text = text.Trim();
        while (text.Length >= 2 && text[0] == '(' && ClosingParenthesis(text, 0) == text.Length - 1)
        {
            text = text[1..^1].Trim();
        }

        return text;
    }

    private static int ClosingParenthesis(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i = Skip(text, i) + 1)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static List<string> SplitTopLevelAnd(string text)
    {
        const string and = " AND ";
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i = Skip(text, i) + 1)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ' ' when depth == 0 && string.CompareOrdinal(text, i, and, 0, and.Length) == 0:
                    parts.Add(text[start..i]);
                    start = i + and.Length;
                    i = start - 1;
                    break;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    // Quoted literals and identifiers are opaque: returns the index of the closing quote, or i itself.
    private static int Skip(string text, int i)
    {
        if (text[i] is not ('\'' or '"'))
        {
            return i;
        }

        var quote = text[i];
        for (var j = i + 1; j < text.Length; j++)
        {
            if (text[j] == quote)
            {
                if (j + 1 < text.Length && text[j + 1] == quote)
                {
                    j++;
                    continue;
                }

                return j;
            }
        }

        return text.Length - 1;
    }

    // The context as pg_get_expr prints it: "( SELECT auth.tenant_id() AS tenant_id)" or the plain call, optionally cast
    // to the column's type ("(( SELECT ...))::uuid"). A cast of the column itself could merge tenants, so it does not count.
    private const string Context = @"(?:\( SELECT auth\.tenant_id\(\) AS \w+\)|auth\.tenant_id\(\))";
    private const string CastContext = @"(?:" + Context + @"|\(" + Context + @"\)::\w+)";

    [GeneratedRegex(@"\A(?:tenant_id = " + CastContext + "|" + CastContext + @" = tenant_id)\z", RegexOptions.CultureInvariant)]
    private static partial Regex TenantTerm();
}
