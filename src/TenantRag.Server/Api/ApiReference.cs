using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Scalar.AspNetCore;

namespace TenantRag.Server.Api;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) with bearer auth and the problem responses declared
/// (<see cref="ApiOperationConventions"/>), and in the Development environment an interactive reference at <c>/scalar</c>.
/// </summary>
internal static class ApiReference
{
    /// <summary>The path of the interactive reference.</summary>
    public const string ReferencePath = "/scalar";

    public static IServiceCollection AddTenantRagOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddOperationTransformer(new ApiOperationConventions()));

    public static void MapTenantRagOpenApi(this WebApplication app)
    {
        app.MapOpenApi();

        // A page for trying the API out belongs on a developer's machine, not on a server users reach.
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference(ReferencePath, reference => reference
                .WithTitle("TenantRag API")
                .AddPreferredSecuritySchemes(ApiOperationConventions.BearerScheme)
                .DisableDefaultFonts());
        }
    }
}
