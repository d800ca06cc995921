using Microsoft.Extensions.AI;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Coalesces concurrent one-text calls (such as query embeddings of simultaneous searches) into batches for the inner
/// generator: a model embeds a batch of short texts much faster than the same texts one run at a time. A call that
/// arrives while no batch is running starts one at once (no added latency when idle); calls that arrive meanwhile
/// wait and go together in the next batch. Calls with several texts or with options pass straight through.
/// </summary>
/// <remarks>
/// Batches run one at a time, each on a thread-pool thread, so the inner generator's own threads have the cores. If a
/// batch fails, its texts are embedded one by one, so a text that fails (or a generator that fails transiently) fails
/// only its own caller. A cancelled caller stops waiting; its text may still be embedded with the others.
/// </remarks>
/// <param name="inner">The generator that embeds the batches.</param>
/// <param name="maxBatchSize">The most texts in one batch; at least 1, default 32.</param>
public sealed class BatchingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, int maxBatchSize = 32)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly Lock _gate = new();
    private readonly Queue<Pending> _queue = new();
    private readonly int _maxBatchSize = maxBatchSize >= 1 ? maxBatchSize : throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize, "must be at least 1");
    private bool _running;
    private long _batches;
    private long _texts;

    /// <summary>Gets how many batches have run and how many texts they held (for diagnostics and benchmarks).</summary>
    public (long Batches, long Texts) Statistics
    {
        get
        {
            lock (_gate)
            {
                return (_batches, _texts);
            }
        }
    }

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values as IReadOnlyList<string> ?? [.. values];
        if (inputs.Count != 1 || options is not null || string.IsNullOrWhiteSpace(inputs[0]))
        {
            return await base.GenerateAsync(inputs, options, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(inputs[0]);
        bool start;
        lock (_gate)
        {
            _queue.Enqueue(pending);
            start = !_running;
            _running = true;
        }

        if (start)
        {
            _ = Task.Run(DrainAsync, CancellationToken.None);
        }

        var embedding = await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return [embedding];
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _running = false;
                    return;
                }

                batch = new List<Pending>(Math.Min(_queue.Count, _maxBatchSize));
                while (batch.Count < _maxBatchSize && _queue.TryDequeue(out var next))
                {
                    batch.Add(next);
                }

                _batches++;
                _texts += batch.Count;
            }

            await EmbedAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task EmbedAsync(List<Pending> batch)
    {
        try
        {
            var embeddings = await base.GenerateAsync([.. batch.Select(p => p.Text)], null, CancellationToken.None).ConfigureAwait(false);
            if (embeddings.Count != batch.Count)
            {
                throw new InvalidOperationException($"The embedding generator returned {embeddings.Count} embeddings for {batch.Count} texts.");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(embeddings[i]);
            }
        }
        catch (Exception) when (batch.Count > 1)
        {
            foreach (var pending in batch)
            {
                await EmbedAsync([pending]).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            batch[0].Completion.TrySetException(exception);
        }
    }

    private sealed class Pending(string text)
    {
        public string Text { get; } = text;

        public TaskCompletionSource<Embedding<float>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
