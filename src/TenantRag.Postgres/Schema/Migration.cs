using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace TenantRag.Postgres.Schema;

/// <summary>One numbered schema change, embedded as <c>Schema/&lt;Kind&gt;/NNN_name.sql</c>.</summary>
internal sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the SQL text, recorded so a changed migration is noticed.</summary>
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));

    /// <summary>The migrations of one kind (<c>Catalog</c> or <c>Tenant</c>), in version order.</summary>
    public static IReadOnlyList<Migration> Load(string kind)
    {
        var assembly = typeof(Migration).Assembly;
        var prefix = $"TenantRag.Schema.{kind}/";
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var file = resource[prefix.Length..];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(file[..underscore], System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            list.Add(new Migration(version, Path.GetFileNameWithoutExtension(file), reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Version != i + 1)
            {
                throw new InvalidOperationException($"migrations of kind {kind} must be numbered 1..N without gaps; found {list[i].Version} at position {i + 1}");
            }
        }

        return list;
    }
}
