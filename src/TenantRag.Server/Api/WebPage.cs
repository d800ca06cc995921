using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TenantRag.Server.Api;

/// <summary>The web page at <c>/</c>: static files embedded in the assembly, no CDN.</summary>
internal static class WebPage
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    public static void MapWebPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Serve("index.html")).ExcludeFromDescription();
        app.MapGet("/assets/{file}", (string file) => Serve(file)).ExcludeFromDescription();
    }

    private static IResult Serve(string file)
    {
        // Only names we embedded: no path separators, no traversal.
        if (file.Contains('/', StringComparison.Ordinal) || file.Contains('\\', StringComparison.Ordinal) || file.Contains("..", StringComparison.Ordinal)
            || !ContentTypes.TryGetValue(Path.GetExtension(file), out var contentType))
        {
            return TypedResults.NotFound();
        }

        var stream = typeof(WebPage).Assembly.GetManifestResourceStream("TenantRag.Web." + file);
        return stream is null ? TypedResults.NotFound() : TypedResults.Stream(stream, contentType);
    }
}
