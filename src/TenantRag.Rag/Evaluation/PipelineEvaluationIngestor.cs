using System.Text.Json;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Ingests evaluation documents through the <see cref="IngestionPipeline"/>, as BEIR corpus lines of a file named
/// <c>corpus.jsonl</c>: every document is stored under the source <c>corpus.jsonl#{_id}</c>, the same as
/// <c>tenantrag ingest</c> of the original file, so re-running skips what is already stored (by content hash).
/// </summary>
public sealed class PipelineEvaluationIngestor : IEvaluationIngestor
{
    /// <summary>The file name the documents are ingested under.</summary>
    public const string CorpusFileName = BeirSplits.CorpusFile;

    private readonly IngestionPipeline _pipeline;
    private readonly IProgress<IngestionProgress>? _progress;

    /// <summary>Creates the ingestor.</summary>
    /// <param name="pipeline">The ingestion pipeline (its embedding generator is the model under test).</param>
    /// <param name="progress">Receives the pipeline's progress, if given.</param>
    public PipelineEvaluationIngestor(IngestionPipeline pipeline, IProgress<IngestionProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        _pipeline = pipeline;
        _progress = progress;
    }

    /// <inheritdoc />
    public async Task<EvaluationIngestion> IngestAsync(TenantContext context, IReadOnlyList<BeirDocument> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(documents);
        var request = new IngestionRequest { Context = context, Inputs = [IngestionInput.FromBytes(CorpusFileName, ToJsonLines(documents))] };
        var summary = await _pipeline.IngestAsync(request, _progress, cancellationToken).ConfigureAwait(false);
        return Checked(context, summary, documents.Count);
    }

    /// <summary>
    /// What <paramref name="summary"/> says the run did; a rejection <paramref name="expected"/> does not accept, or any
    /// skipped line, means the corpus is not what the evaluation measures, and is a <see cref="TenantRagException"/>.
    /// </summary>
    internal static EvaluationIngestion Checked(TenantContext context, IngestionSummary summary, int offered, Func<IngestionRejection, bool>? expected = null)
    {
        var unexpected = summary.Rejected.Where(r => expected is null || !expected(r)).ToList();
        if (unexpected.Count > 0 || summary.Issues.Count > 0)
        {
            var first = unexpected.Count > 0 ? unexpected[0].ToString() : summary.Issues[0].ToString();
            throw new TenantRagException(
                $"ingestion into {context.Tenant} rejected {unexpected.Count} and skipped {summary.Issues.Count} of {offered} evaluation documents (first: {first}): fix the corpus and run eval again");
        }

        return new EvaluationIngestion
        {
            Documents = summary.Documents,
            DocumentsStored = summary.Added + summary.Replaced,
            DocumentsUnchanged = summary.Unchanged,
            DocumentsRefused = summary.Rejected.Count,
            Chunks = summary.Chunks,
            ChunksEmbedded = summary.ChunksEmbedded,
            Elapsed = summary.Elapsed,
        };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> EmbeddingInputsAsync(IReadOnlyList<BeirDocument> documents, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);

        // Every document gives at least one chunk, so the first `count` documents are enough. They go through the same
        // extractor, chunker and text layout as the pipeline's chunk step, so the model sees exactly what ingestion embeds.
        using var lines = new MemoryStream(ToJsonLines(documents.Take(count)), writable: false);
        var extracted = await new BeirJsonlDocumentExtractor(_pipeline.Options.Extraction)
            .ExtractAsync(lines, CorpusFileName, cancellationToken).ConfigureAwait(false);
        var texts = new List<string>(count);
        foreach (var document in extracted.Documents)
        {
            foreach (var piece in _pipeline.Chunker.Chunk(document))
            {
                texts.Add(ChunkText.ForEmbedding(ChunkText.Heading(document.Title, piece.HeadingPath), piece.Text, _pipeline.Options.MaxEmbeddedHeadingLength));
                if (texts.Count == count)
                {
                    return texts;
                }
            }
        }

        return texts;
    }

    /// <summary>The documents as BEIR corpus lines (UTF-8, one JSON object per line).</summary>
    internal static byte[] ToJsonLines(IEnumerable<BeirDocument> documents)
    {
        using var buffer = new MemoryStream();
        foreach (var document in documents)
        {
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("_id", document.Id);
                writer.WriteString("title", document.Title);
                writer.WriteString("text", document.Text);
                writer.WriteEndObject();
            }

            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }
}
