using System.Text;
using Xunit;

namespace TenantRag.Testing;

/// <summary>
/// Raw request bodies that no well-behaved client sends: invalid UTF-8, JSON-escaped lone surrogates and NUL,
/// truncated and wrongly shaped JSON, absurd nesting, and the wrong (or no) content type. Every JSON body carries its
/// malformed value in every field a TenantRag route reads (<c>title</c>, <c>text</c>, <c>visibility</c>,
/// <c>query</c>, <c>question</c>, <c>k</c>, <c>slug</c>, <c>mode</c>, <c>tenant</c>, <c>user</c>), so one payload
/// serves every POST route. No payload here is a valid request for any route.
/// </summary>
public static class HostilePayloads
{
    /// <summary>A valid body for every JSON route, used where only the content type is wrong.</summary>
    public const string ValidJson =
        """{"title":"t","text":"a body","visibility":"tenant","query":"q","question":"q?","k":3,"slug":"valid-slug","mode":"shared","tenant":"valid-slug","user":"u"}""";

    /// <summary>Every payload, in a stable order.</summary>
    public static IReadOnlyList<HostilePayload> All { get; } = Build();

    private static readonly Dictionary<string, HostilePayload> ByName = All.ToDictionary(p => p.Name, StringComparer.Ordinal);

    /// <summary>Every payload's name, for <c>MemberData</c>.</summary>
    public static TheoryData<string> Names => new(All.Select(p => p.Name));

    /// <summary>The payload named <paramref name="name"/>.</summary>
    public static HostilePayload Get(string name) =>
        ByName.TryGetValue(name, out var payload) ? payload : throw new ArgumentException($"no hostile payload is named '{name}'", nameof(name));

    private static List<HostilePayload> Build()
    {
        const string json = "application/json";
        var list = new List<HostilePayload>();
        void Add(string name, string? contentType, byte[] body) => list.Add(new HostilePayload(name, contentType, body));

        // The same malformed JSON string value in every field.
        byte[] EveryField(byte[] value)
        {
            var body = new List<byte>();
            body.AddRange("{"u8.ToArray());
            var fields = new[] { "title", "text", "visibility", "query", "question", "k", "slug", "mode", "tenant", "user" };
            for (var i = 0; i < fields.Length; i++)
            {
                body.AddRange(Encoding.UTF8.GetBytes((i > 0 ? "," : string.Empty) + "\"" + fields[i] + "\":\""));
                body.AddRange(value);
                body.AddRange("\""u8.ToArray());
            }

            body.AddRange("}"u8.ToArray());
            return [.. body];
        }

        Add("invalid-utf8/lone-continuation-byte", json, EveryField([(byte)'a', 0x80, (byte)'b']));
        Add("invalid-utf8/ff-fe", json, EveryField([0xFF, 0xFE]));
        Add("invalid-utf8/overlong-slash", json, EveryField([0xC0, 0xAF]));
        Add("invalid-utf8/encoded-surrogate", json, EveryField([0xED, 0xA0, 0x80]));
        Add("invalid-utf8/truncated-sequence", json, EveryField([(byte)'a', 0xE2, 0x82]));
        Add("invalid-utf8/above-u10ffff", json, EveryField([0xF4, 0x90, 0x80, 0x80]));
        Add("invalid-utf8/outside-strings", json, [.. "{\"title\":\"t\","u8.ToArray(), 0xFF, .. "\"text\":\"b\"}"u8.ToArray()]);
        Add("json-escape/lone-surrogate", json, EveryField("a\\ud800b"u8.ToArray()));
        Add("json-escape/nul", json, EveryField("a\\u0000b"u8.ToArray()));
        Add("json-escape/bad-escape", json, EveryField("a\\x41\\q"u8.ToArray()));
        Add("json-escape/raw-newline", json, EveryField("a\nb"u8.ToArray()));

        Add("truncated/inside-string", json, "{\"title\": \"abc"u8.ToArray());
        Add("truncated/open-brace", json, "{"u8.ToArray());
        Add("truncated/after-colon", json, "{\"query\":"u8.ToArray());
        Add("truncated/trailing-comma", json, "{\"query\":\"q\","u8.ToArray());
        Add("truncated/empty-body", json, []);
        Add("truncated/whitespace-body", json, " \r\n\t "u8.ToArray());

        Add("shape/null", json, "null"u8.ToArray());
        Add("shape/array", json, "[]"u8.ToArray());
        Add("shape/string", json, "\"x\""u8.ToArray());
        Add("shape/number", json, "42"u8.ToArray());
        Add("shape/empty-object", json, "{}"u8.ToArray());
        Add("shape/wrong-types", json, """{"title":1,"text":[],"visibility":{},"query":{},"question":[],"k":"5","slug":7,"mode":true,"tenant":[],"user":{}}"""u8.ToArray());
        Add("shape/k-overflows", json, """{"query":"q","question":"q?","k":1e400,"title":"t","text":"b","visibility":1e400,"slug":1e400,"tenant":1e400,"user":1e400}"""u8.ToArray());
        Add("shape/deep-nesting", json, Encoding.ASCII.GetBytes(new string('[', 100_000)));
        Add("shape/comments", json, "/* c */ {\"query\": \"q\" // c\n}"u8.ToArray());

        var valid = Encoding.UTF8.GetBytes(ValidJson);
        Add("content-type/none", null, valid);
        Add("content-type/text-plain", "text/plain", valid);
        Add("content-type/xml", "application/xml", "<request><title>t</title><query>q</query><slug>valid-slug</slug></request>"u8.ToArray());
        Add("content-type/unknown-charset", "application/json; charset=x-no-such-charset", valid);
        Add("content-type/form-urlencoded", "application/x-www-form-urlencoded", "title=t&text=b&query=q&slug=valid-slug&tenant_id=x"u8.ToArray());
        Add("content-type/form-urlencoded-bad-escapes", "application/x-www-form-urlencoded", "title=%zz%ff%&text=%"u8.ToArray());
        Add("content-type/multipart-without-boundary", "multipart/form-data", valid);
        Add("content-type/multipart-with-json-body", "multipart/form-data; boundary=xyz", valid);
        Add("content-type/multipart-truncated", "multipart/form-data; boundary=xyz",
            "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello"u8.ToArray());
        Add("content-type/multipart-endless-part-headers", "multipart/form-data; boundary=xyz",
            Encoding.ASCII.GetBytes("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n" + string.Concat(Enumerable.Repeat("X-Padding: 0123456789\r\n", 2000))));
        return list;
    }
}
