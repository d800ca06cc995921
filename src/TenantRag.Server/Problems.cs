using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace TenantRag.Server;

/// <summary>Writes <c>application/problem+json</c> responses.</summary>
internal static class Problems
{
    /// <summary>
    /// What a 503 asks the client to wait, in seconds (<c>Retry-After</c>): the database went away or refused a write, and
    /// nothing of the request was done.
    /// </summary>
    public const int RetryAfterSeconds = 5;

    public static Task WriteAsync(HttpContext http, int status, string title, string detail)
    {
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new ProblemDetails { Status = status, Title = title, Detail = detail, Instance = http.Request.Path },
            (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
}
