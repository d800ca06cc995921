using Microsoft.Extensions.Configuration;
using TenantRag.Rag.Ingestion;

namespace TenantRag.Server;

/// <summary>
/// The <c>Ingestion</c> configuration section: the limits of one uploaded file (<see cref="IngestionOptions"/>: bytes,
/// characters, pages, chunks, documents per file, nesting, time, and the PDF parser's limits), validated at start-up.
/// </summary>
internal static class IngestionSettings
{
    public const string Section = "Ingestion";

    /// <summary>Binds and validates the section.</summary>
    /// <exception cref="UsageException">A limit is out of range; the message names the key.</exception>
    public static IngestionOptions Read(IConfigurationSection section)
    {
        var options = new IngestionOptions();
        section.Bind(options);
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            // ParamName is the property (the validation passes it by expression); the message says the rule:
            // "MaxPagesPerDocument ('0') must be a non-negative and non-zero value. (Parameter ...)".
            var must = ex.Message.IndexOf("must", StringComparison.Ordinal);
            var rule = must < 0 ? "out of range" : ex.Message[must..].Split('.')[0];
            throw new UsageException($"setting {Section}:{ex.ParamName} is {ex.ActualValue}: it {rule}");
        }

        return options;
    }
}
