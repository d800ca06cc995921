using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace TenantRag.Server.Api;

/// <summary>
/// What every operation of the document says the same way, read off its endpoint: the bearer token it needs, and the
/// <c>application/problem+json</c> errors it can answer with. An operation's own <c>ProducesProblem</c> stays as it is.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>An endpoint that requires authorization (<c>/v1</c>, <c>/admin</c>) needs a <c>bearer</c> JWT, and answers 401
/// without a valid one, 403 when the token does not allow it (tenant, scope, admin), and 503 when the database is away.</item>
/// <item>Input the handler reads (a body, a query or header parameter, an untyped route value) can be invalid: 400; a
/// route value typed by its route (<c>{id:guid}</c>) that does not fit does not match the route: 404. A body can be over
/// <c>Limits:MaxRequestBytes</c>: 413.</item>
/// <item>A route value names something that may not exist, or not be visible to the caller: 404.</item>
/// <item>Every <c>/v1</c> request counts against its tenant's rate limit, and uploads against a concurrency limit: 429.</item>
/// </list>
/// </remarks>
internal sealed class ApiOperationConventions : IOpenApiOperationTransformer
{
    /// <summary>The name of the security scheme in the document's components.</summary>
    public const string BearerScheme = "bearer";

    private const string ProblemMediaType = "application/problem+json";
    private const string ProblemSchema = nameof(ProblemDetails);

    private static readonly Dictionary<int, string> Descriptions = new()
    {
        [StatusCodes.Status400BadRequest] = "Invalid input: the problem's detail says which and why",
        [StatusCodes.Status401Unauthorized] = "No bearer token, or one that is not valid (signature, issuer, audience, lifetime)",
        [StatusCodes.Status403Forbidden] = "The token does not allow this: its tenant, its scopes, or the admin role",
        [StatusCodes.Status404NotFound] = "Not found, or not visible to the caller",
        [StatusCodes.Status413PayloadTooLarge] = "The request body is over the size limit (Limits:MaxRequestBytes)",
        [StatusCodes.Status429TooManyRequests] = "Over the tenant's request or upload limit: Retry-After says when to try again",
        [StatusCodes.Status503ServiceUnavailable] = "The database (or the chat endpoint) is unavailable for now: Retry-After says when to try again",
    };

    /// <inheritdoc />
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("the OpenAPI operation has no document");
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var authorized = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        var body = operation.RequestBody is not null;
        var parameters = operation.Parameters ?? [];
        var rateLimited = (context.Description.RelativePath ?? string.Empty).StartsWith("v1/", StringComparison.Ordinal)
            || metadata.OfType<EnableRateLimitingAttribute>().Any();

        var statuses = new List<int>();
        if (body || parameters.Any(p => p.In != ParameterLocation.Path || p.Schema?.Format is null))
        {
            statuses.Add(StatusCodes.Status400BadRequest);
        }

        if (authorized)
        {
            statuses.Add(StatusCodes.Status401Unauthorized);
            statuses.Add(StatusCodes.Status403Forbidden);
        }

        if (parameters.Any(p => p.In == ParameterLocation.Path))
        {
            statuses.Add(StatusCodes.Status404NotFound);
        }

        if (body)
        {
            statuses.Add(StatusCodes.Status413PayloadTooLarge);
        }

        if (rateLimited)
        {
            statuses.Add(StatusCodes.Status429TooManyRequests);
        }

        if (authorized)
        {
            statuses.Add(StatusCodes.Status503ServiceUnavailable);
            AddBearerScheme(document);
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
        }

        if (statuses.Count == 0)
        {
            return;
        }

        var schema = await ProblemSchemaAsync(document, context, cancellationToken).ConfigureAwait(false);
        operation.Responses ??= [];
        foreach (var status in statuses)
        {
            var key = status.ToString(CultureInfo.InvariantCulture);
            if (!operation.Responses.TryGetValue(key, out var response))
            {
                operation.Responses[key] = new OpenApiResponse
                {
                    Description = Descriptions[status],
                    Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { [ProblemMediaType] = new() { Schema = schema } },
                };
            }
            else if (response is OpenApiResponse { Content: null or { Count: 0 } } bare)
            {
                // A handler's typed NotFound (say) has no body of its own: the status code pages give it a problem document.
                bare.Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { [ProblemMediaType] = new() { Schema = schema } };
            }
        }
    }

    private static void AddBearerScheme(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes.TryAdd(BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A JWT from the configured identity provider (Auth:Authority), or from POST /auth/dev-token with --dev-auth; " +
                "its tenant claim names the tenant every /v1 request works in.",
        });
    }

    // One ProblemDetails schema among the components, shared with the operations that declare their own problems.
    private static async Task<IOpenApiSchema> ProblemSchemaAsync(OpenApiDocument document, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (document.Components?.Schemas?.ContainsKey(ProblemSchema) != true)
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken).ConfigureAwait(false);
            document.AddComponent(ProblemSchema, schema);
        }

        return new OpenApiSchemaReference(ProblemSchema, document);
    }
}
