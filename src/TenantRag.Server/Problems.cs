using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace TenantRag.Server;

/// <summary>Writes <c>application/problem+json</c> responses.</summary>
internal static class Problems
{
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
