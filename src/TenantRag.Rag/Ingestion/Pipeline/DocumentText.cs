using System.Text;
using TenantRag.Rag.Ingestion.Extraction;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>
/// The text a stored document reads back as (<c>GET /v1/documents/{id}/content</c>): its sections in order, a blank
/// line apart, each heading path on a line of its own where it changes. Chunks are cut from the sections' text as it
/// is, so every chunk within one section is a passage of this text, character for character.
/// </summary>
internal static class DocumentText
{
    public static string Of(ExtractedDocument document)
    {
        var text = new StringBuilder(document.Sections.Sum(s => s.Text.Length + (s.HeadingPath?.Length ?? 0) + 4));
        string? heading = null;
        foreach (var section in document.Sections)
        {
            if (text.Length > 0)
            {
                text.Append("\n\n");
            }

            if (section.HeadingPath is { } path && !string.Equals(path, heading, StringComparison.Ordinal))
            {
                text.Append(path).Append("\n\n");
            }

            heading = section.HeadingPath;
            text.Append(section.Text);
        }

        return text.ToString();
    }
}
