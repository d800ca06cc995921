using System.Runtime.InteropServices;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Keeps ONNX Runtime's own telemetry off. Since 1.2x its Linux build starts a telemetry client when the runtime
/// initialises, which writes a device id and an SQLite event store under <c>~/.cache/Microsoft/DeveloperTools</c>
/// (outside <c>$TENANTRAG_HOME</c>, on a machine that may not even have a writable home) and would try to send them.
/// The runtime reads <c>ORT_DISABLE_TELEMETRY</c> from the native environment when it initialises, so it is set there
/// (.NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach native code on Linux)
/// before the first session; an operator's own value of the variable is left as it is.
/// </summary>
internal static partial class OnnxRuntimeTelemetry
{
    private const string Variable = "ORT_DISABLE_TELEMETRY";

    private static readonly Lazy<bool> Disabled = new(() =>
    {
        try
        {
            return SetEnv(Variable, "1", overwrite: 0) == 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    });

    /// <summary>Sets <c>ORT_DISABLE_TELEMETRY=1</c> once, unless it is set already; call before the first ONNX Runtime use.</summary>
    /// <returns>Whether the variable is now in the native environment.</returns>
    public static bool Disable() => Disabled.Value;

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
