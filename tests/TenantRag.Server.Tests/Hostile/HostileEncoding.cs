using System.Globalization;
using System.Text;

namespace TenantRag.Server.Tests.Hostile;

/// <summary>
/// Puts any UTF-16 text on the wire unchanged, lone surrogates and NUL included, where the framework's own
/// encoders would refuse or repair it: JSON string literals with every non-ASCII character escaped, percent-encoding
/// and multipart headers over "WTF-8" bytes (lone surrogates encoded like any other code point, which makes them
/// invalid UTF-8 for the server to deal with).
/// </summary>
internal static class HostileEncoding
{
    /// <summary>A JSON string literal (quotes included) that decodes to exactly <paramref name="text"/>.</summary>
    public static string JsonString(string text)
    {
        var json = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => json.Append("\\\""),
                '\\' => json.Append("\\\\"),
                < ' ' or >= '\u007f' => json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => json.Append(c),
            };
        }

        return json.Append('"').ToString();
    }

    /// <summary>A JSON object: strings encoded with <see cref="JsonString"/>, string arrays as arrays of them, numbers as they are.</summary>
    public static string JsonObject(params (string Name, object Value)[] fields) =>
        "{" + string.Join(",", fields.Select(f => JsonString(f.Name) + ":" + JsonValue(f.Value))) + "}";

    private static string JsonValue(object value) => value switch
    {
        string s => JsonString(s),
        string[] array => "[" + string.Join(",", array.Select(JsonString)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };

    /// <summary>Every byte but unreserved ASCII percent-encoded (so '/', '.' and '%' stay inside one path segment or value).</summary>
    public static string Percent(string text)
    {
        var encoded = new StringBuilder();
        foreach (var b in Wtf8(text))
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
            }
        }

        return encoded.ToString();
    }

    /// <summary>UTF-8, except that a lone surrogate is encoded as its own three bytes (invalid UTF-8) instead of refused.</summary>
    public static byte[] Wtf8(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }

            switch (cp)
            {
                case < 0x80:
                    bytes.Add((byte)cp);
                    break;
                case < 0x800:
                    bytes.AddRange([(byte)(0xC0 | (cp >> 6)), (byte)(0x80 | (cp & 0x3F))]);
                    break;
                case < 0x10000:
                    bytes.AddRange([(byte)(0xE0 | (cp >> 12)), (byte)(0x80 | ((cp >> 6) & 0x3F)), (byte)(0x80 | (cp & 0x3F))]);
                    break;
                default:
                    bytes.AddRange([(byte)(0xF0 | (cp >> 18)), (byte)(0x80 | ((cp >> 12) & 0x3F)), (byte)(0x80 | ((cp >> 6) & 0x3F)), (byte)(0x80 | (cp & 0x3F))]);
                    break;
            }
        }

        return [.. bytes];
    }
}
