using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace TenantRag.Server;

/// <summary>
/// Refuses a request body declared in a charset this runtime does not know (415) before any endpoint tries to
/// decode it: ASP.NET's JSON readers throw an <see cref="InvalidOperationException"/> for such a body, which would
/// otherwise surface as a 500.
/// </summary>
internal sealed class RequestCharsetMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) && type.Charset is { HasValue: true } charset && !IsKnown(charset.Value!))
        {
            return Problems.WriteAsync(http, StatusCodes.Status415UnsupportedMediaType, "Unsupported charset",
                $"the request body's charset '{UsageException.Echo(charset.Value)}' is not supported: send UTF-8 (e.g. Content-Type: application/json; charset=utf-8)");
        }

        return next(http);
    }

    private static bool IsKnown(string charset)
    {
        try
        {
            // The same lookup ASP.NET's JSON readers make.
            _ = Encoding.GetEncoding(charset.Trim('"'));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
