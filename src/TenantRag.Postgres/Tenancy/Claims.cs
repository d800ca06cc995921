using System.Text.Json;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>The <c>request.jwt.claims</c> JSON that policies read through <c>auth.session()</c>.</summary>
internal static class Claims
{
    public static string ToJson(TenantContext context)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("sub", context.User.Value);
            writer.WriteString("tenant_id", context.Tenant.Value);
            writer.WriteString("role", "authenticated");
            if (context.Scopes.Count > 0)
            {
                writer.WriteString("scope", string.Join(' ', context.Scopes));
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
