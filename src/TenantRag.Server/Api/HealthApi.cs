using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using TenantRag.Tenancy;

namespace TenantRag.Server.Api;

/// <summary>
/// Liveness and readiness, for a load balancer or an orchestrator: <c>/healthz/live</c> (and <c>/healthz</c>) answers
/// while the process serves HTTP at all; <c>/healthz/ready</c> also asks the database (the catalog, as the serving
/// role) and answers 503 while it does not answer within <see cref="ReadyTimeout"/>. Neither says why in more than a
/// word: no connection details, no exception text.
/// </summary>
internal static partial class HealthApi
{
    /// <summary>How long readiness waits for the database.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(3);

    public sealed record HealthResponse(string Status);

    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        var live = () => TypedResults.Ok(new HealthResponse("ok"));
        app.MapGet("/healthz", live).WithTags("Health").WithSummary("Liveness (the same as /healthz/live)");
        app.MapGet("/healthz/live", live).WithTags("Health").WithSummary("Liveness: the process serves HTTP");
        app.MapGet("/healthz/ready", ReadyAsync).WithTags("Health")
            .WithSummary("Readiness: the database answers the serving role")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> ReadyAsync(HttpContext http, ITenantConnectionFactory sessions, ILoggerFactory loggers)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(ReadyTimeout);
        try
        {
            await sessions.PingAsync(timeout.Token).ConfigureAwait(false);
            return TypedResults.Ok(new HealthResponse("ready"));
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            Log.NotReady(loggers.CreateLogger("TenantRag.Server.Health"), ex.GetType().Name);
            http.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready",
                detail: "the database does not answer", extensions: new Dictionary<string, object?> { ["status"] = "unavailable" });
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Not ready: the database does not answer ({Error})")]
        public static partial void NotReady(ILogger logger, string error);
    }
}
