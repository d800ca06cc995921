using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace TenantRag.Server.Auth;

/// <summary>
/// What a signed JWT (compact JWS) must look like before its signature and claims are checked at all: header and
/// payload each one JSON object with no name given twice at any depth (parsers disagree on which one counts, and the
/// signature covers both), no critical header extension (<c>crit</c>: none is understood here, so RFC 7515 4.1.11 says
/// refuse), <c>exp</c> present and <c>exp</c>, <c>nbf</c>, <c>iat</c> JSON numbers, and a lifetime within the configured
/// maximum: from <c>iat</c> (else <c>nbf</c>) to <c>exp</c>, and from now to <c>exp</c>.
/// </summary>
internal readonly record struct JwtShape(string? Problem, string? KeyId)
{
    private static readonly JsonReaderOptions Strict = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 32 };

    /// <summary>Reads <paramref name="token"/>; <see cref="Problem"/> says why it is refused, null when it may be validated.</summary>
    public static JwtShape Read(string token, TimeSpan maxLifetime, TimeSpan clockSkew, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return Refuse("the token is not a signed JWT (three dot-separated parts)");
        }

        string? kid = null;
        var hasCrit = false;
        if (ReadObject(parts[0], "header", (name, value) =>
            {
                hasCrit |= name == "crit";
                kid = name == "kid" && value.TokenType == JsonTokenType.String ? value.GetString() : kid;
                return name == "kid" && value.TokenType != JsonTokenType.String ? "the header's kid is not a string" : null;
            }) is { } headerProblem)
        {
            return Refuse(headerProblem);
        }

        if (hasCrit)
        {
            return Refuse("the token marks header parameters critical (crit), and this server understands none");
        }

        var times = new Dictionary<string, double>(3, StringComparer.Ordinal);
        if (ReadObject(parts[1], "payload", (name, value) =>
            {
                if (name is not ("exp" or "nbf" or "iat"))
                {
                    return null;
                }

                if (value.TokenType != JsonTokenType.Number || !value.TryGetDouble(out var seconds) || !double.IsFinite(seconds))
                {
                    return $"the token's {name} is not a number of seconds";
                }

                times[name] = seconds;
                return null;
            }) is { } payloadProblem)
        {
            return Refuse(payloadProblem);
        }

        if (!times.TryGetValue("exp", out var exp))
        {
            return Refuse("the token has no exp");
        }

        var limit = maxLifetime.TotalSeconds;
        var start = times.TryGetValue("iat", out var iat) ? iat : times.TryGetValue("nbf", out var nbf) ? nbf : (double?)null;
        if ((start is { } issued && exp - issued > limit) || exp - now.ToUnixTimeSeconds() > limit + clockSkew.TotalSeconds)
        {
            return Refuse($"the token's lifetime is longer than the {maxLifetime.TotalMinutes:0} minutes allowed (Auth:MaxTokenLifetimeMinutes)");
        }

        return new JwtShape(null, kid);
    }

    private static JwtShape Refuse(string problem) => new(problem, null);

    /// <summary>
    /// Decodes one part and reads it as a single JSON object, refusing a name given twice in any object; each top-level
    /// member is shown to <paramref name="member"/> (positioned on its value), which may refuse it.
    /// </summary>
    private static string? ReadObject(string part, string what, MemberCheck member)
    {
        byte[] json;
        try
        {
            json = Base64UrlEncoder.DecodeBytes(part);
        }
        catch (FormatException)
        {
            return $"the token's {what} is not base64url";
        }

        try
        {
            var reader = new Utf8JsonReader(json, Strict);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return $"the token's {what} is not a JSON object";
            }

            var names = new Stack<HashSet<string>>();
            names.Push(new HashSet<string>(StringComparer.Ordinal));
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        names.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.EndObject:
                        names.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        // Compared unescaped: "tenant_id" and "tenant\u005fid" are the same name.
                        var name = reader.GetString()!;
                        if (!names.Peek().Add(name))
                        {
                            return $"the token's {what} gives '{UsageException.Echo(name)}' more than once";
                        }

                        if (names.Count == 1)
                        {
                            reader.Read();
                            if (member(name, reader) is { } problem)
                            {
                                return problem;
                            }

                            // A nested value is walked by the loop (its names are checked too); a scalar is done.
                            if (reader.TokenType == JsonTokenType.StartObject)
                            {
                                names.Push(new HashSet<string>(StringComparer.Ordinal));
                            }
                        }

                        break;
                }

                if (names.Count == 0)
                {
                    return reader.Read() ? $"the token's {what} has something after its JSON object" : null;
                }
            }

            return $"the token's {what} is not a complete JSON object";
        }
        catch (JsonException)
        {
            return $"the token's {what} is not valid JSON";
        }
        catch (InvalidOperationException)
        {
            // A name that is not valid UTF-8 (a lone surrogate encoded as such) cannot be read as text.
            return $"the token's {what} is not valid UTF-8 JSON";
        }
    }

    private delegate string? MemberCheck(string name, Utf8JsonReader value);
}
