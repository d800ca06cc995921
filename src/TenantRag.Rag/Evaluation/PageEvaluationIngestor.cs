using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Ingests the pages of a question set (<see cref="BeirDataset.PagesDirectory"/>) through the
/// <see cref="IngestionPipeline"/> as the HTML files they are, each under its path below the directory: the same
/// documents, with the same source keys, as <c>tenantrag ingest &lt;tenant&gt; &lt;directory&gt;</c> stores, so what is
/// measured is what a user gets by uploading the manual. Re-running skips unchanged pages (by content hash). A page
/// that only redirects to another is refused by extraction, as on upload; that is expected and counted, not an error.
/// </summary>
public sealed class PageEvaluationIngestor : IEvaluationIngestor
{
    private readonly IngestionPipeline _pipeline;
    private readonly string _directory;
    private readonly IProgress<IngestionProgress>? _progress;

    /// <summary>Creates the ingestor.</summary>
    /// <param name="pipeline">The ingestion pipeline (its embedding generator is the model under test).</param>
    /// <param name="directory">The directory the page ids are paths below.</param>
    /// <param name="progress">Receives the pipeline's progress, if given.</param>
    public PageEvaluationIngestor(IngestionPipeline pipeline, string directory, IProgress<IngestionProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _pipeline = pipeline;
        _directory = Path.GetFullPath(directory);
        _progress = progress;
    }

    /// <inheritdoc />
    public async Task<EvaluationIngestion> IngestAsync(TenantContext context, IReadOnlyList<BeirDocument> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(documents);
        var request = new IngestionRequest { Context = context, Inputs = [.. documents.Select(page => IngestionInput.FromFile(PathOf(page), page.Id))] };
        var summary = await _pipeline.IngestAsync(request, _progress, cancellationToken).ConfigureAwait(false);
        return PipelineEvaluationIngestor.Checked(context, summary, documents.Count,
            expected: r => r.Reason == nameof(DocumentRejectionReason.RedirectOnly));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> EmbeddingInputsAsync(IReadOnlyList<BeirDocument> documents, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        // The pages go through the same extractor, chunker and text layout as the pipeline's, so the model sees exactly
        // what ingestion embeds (the extractor directly: a refused redirect is not logged a second time).
        var extractor = new HtmlDocumentExtractor(_pipeline.Options.Extraction);
        var texts = new List<string>(count);
        foreach (var page in documents)
        {
            IReadOnlyList<ExtractedDocument> extracted;
            try
            {
                var file = File.OpenRead(PathOf(page));
                await using (file.ConfigureAwait(false))
                {
                    extracted = (await extractor.ExtractAsync(file, Path.GetFileName(page.Id), cancellationToken).ConfigureAwait(false)).Documents;
                }
            }
            catch (DocumentRejectedException)
            {
                continue; // a redirect: ingestion refuses it too
            }

            foreach (var document in extracted)
            {
                texts.AddRange(_pipeline.EmbeddingTexts(document).Take(count - texts.Count));
                if (texts.Count == count)
                {
                    return texts;
                }
            }
        }

        return texts;
    }

    private string PathOf(BeirDocument page)
    {
        // Ids come from the loader's own listing of the directory; this only guards against a hand-made dataset.
        var path = Path.GetFullPath(Path.Combine(_directory, page.Id));
        return path.StartsWith(_directory + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new EvaluationDataException($"page '{page.Id}' is not below the pages directory '{_directory}'");
    }
}
