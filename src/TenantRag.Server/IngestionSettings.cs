using Microsoft.Extensions.Configuration;
using TenantRag.Rag.Ingestion;

namespace TenantRag.Server;

/// <summary>
/// The <c>Ingestion</c> configuration section: the limits of one file (<see cref="IngestionOptions"/>: bytes,
/// characters, pages, chunks, documents per file, nesting, time, and the PDF parser's limits), validated before
/// anything is read. <c>serve</c> reads it with its other settings; <c>ingest</c> from the same sources (environment
/// variables such as <c>Ingestion__MaxPagesPerDocument</c>, and <c>appsettings.json</c>).
/// </summary>
public static class IngestionSettings
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Ingestion";

    /// <summary>Binds and validates the section.</summary>
    /// <param name="section">The <c>Ingestion</c> section (an empty one gives the defaults).</param>
    /// <exception cref="UsageException">A limit is out of range or of the wrong type; the message names the key.</exception>
    public static IngestionOptions Read(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new IngestionOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or ArgumentException or OverflowException)
        {
            // The binder names the key and the value: "Failed to convert configuration value 'x' at 'Ingestion:MaxPagesPerDocument' ...".
            throw new UsageException($"a setting has a value of the wrong type: {ex.Message}");
        }

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
