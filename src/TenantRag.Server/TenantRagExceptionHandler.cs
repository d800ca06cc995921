using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TenantRag.Server;

/// <summary>
/// Every error becomes <c>application/problem+json</c> with a status that says whose fault it was: bad input is 4xx
/// (malformed JSON included), never a 500 with a stack trace.
/// </summary>
internal sealed partial class TenantRagExceptionHandler(ILogger<TenantRagExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is QuotaExceededException quota)
        {
            // 413 for a storage quota, 429 with Retry-After for a rate quota: nothing of the work was done.
            await QuotaProblems.WriteAsync(httpContext, quota).ConfigureAwait(false);
            return true;
        }

        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            System.Text.Json.JsonException => (StatusCodes.Status400BadRequest, "Malformed JSON", "the request body is not valid JSON"),
            UsageException usage => (StatusCodes.Status400BadRequest, "Invalid input", usage.Message),
            TenantAlreadyExistsException exists => (StatusCodes.Status409Conflict, "Tenant exists", exists.Message),
            TenantNotFoundException missing => (StatusCodes.Status404NotFound, "Unknown tenant", missing.Message),
            TenantAccessDeniedException denied => (StatusCodes.Status403Forbidden, "Forbidden", denied.Message),
            TenantRagException { ExitCode: 2 } input => (StatusCodes.Status400BadRequest, "Invalid input", input.Message),
            TenantRagException { IsTransient: true } transient => (StatusCodes.Status503ServiceUnavailable, "Try again", transient.Message),
            TenantRagException failure => (StatusCodes.Status422UnprocessableEntity, "Cannot do that", failure.Message),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed request", "the client went away"),
            NpgsqlException { IsTransient: true } => (StatusCodes.Status503ServiceUnavailable, "Database unavailable", "the database is unavailable; try again shortly"),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "an unexpected error occurred; it has been logged"),
        };

        if (status >= 500)
        {
            Log.Unhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        if (status == StatusCodes.Status503ServiceUnavailable && !httpContext.Response.HasStarted)
        {
            // The database went away (or another transient failure): nothing was done, and the client may try again.
            httpContext.Response.Headers.RetryAfter = Problems.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await Problems.WriteAsync(httpContext, status, title, detail).ConfigureAwait(false);
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);
    }
}
