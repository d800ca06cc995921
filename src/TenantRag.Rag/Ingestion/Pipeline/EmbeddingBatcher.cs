using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using TenantRag.Documents;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>
/// Gathers the chunks of many documents into few embedding calls. Each document's <c>embed</c> step queues its chunks
/// and awaits them; one loop takes what is queued (up to a batch), reuses stored vectors of the same chunk hash,
/// embeds the rest, and hands each document its vectors, so that document is stored while the next batch is embedded.
/// The model is shared with other runs (other tenants' uploads): the rest is embedded a turn's worth of texts at a time,
/// each in this run's turn of the pipeline's <see cref="FairGate{TKey}"/>.
/// </summary>
internal sealed class EmbeddingBatcher : IAsyncDisposable
{
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly EmbeddingModel _model;
    private readonly Func<IReadOnlyCollection<string>, CancellationToken, Task<Dictionary<string, float[]>>> _findStored;
    private readonly int _batchSize;
    private readonly TimeSpan _linger;
    private readonly FairGate<string> _turns;
    private readonly string _turnKey;
    private readonly int _turnSize;
    private readonly CancellationToken _cancellationToken;
    private readonly Action<int>? _ready;
    private readonly Task _loop;
    private long _embedded;
    private long _reused;
    private long _embeddingTicks;

    /// <param name="generator">Makes the vectors.</param>
    /// <param name="model">The model's name and dimensions; every vector is checked against them.</param>
    /// <param name="findStored">Looks up stored vectors by chunk hash (through the run's database gate).</param>
    /// <param name="batchSize">Chunk texts per batch (a single document with more chunks goes whole).</param>
    /// <param name="linger">How long to wait for more chunks when a batch is not full.</param>
    /// <param name="turns">
    /// The model's turns (shared by every run of the pipeline), whose turn this run takes (its tenant), and how many texts
    /// it embeds in one turn.
    /// </param>
    /// <param name="cancellationToken">The run's token: cancelling it fails every waiting request.</param>
    /// <param name="ready">Told how many more chunks have their vector, after every turn of the model and every reuse.</param>
    public EmbeddingBatcher(IEmbeddingGenerator<string, Embedding<float>> generator, EmbeddingModel model,
        Func<IReadOnlyCollection<string>, CancellationToken, Task<Dictionary<string, float[]>>> findStored,
        int batchSize, TimeSpan linger, (FairGate<string> Gate, string Key, int Size) turns, CancellationToken cancellationToken,
        Action<int>? ready = null)
    {
        _ready = ready;
        (_turns, _turnKey, _turnSize) = turns;
        _generator = generator;
        _model = model;
        _findStored = findStored;
        _batchSize = batchSize;
        _linger = linger;
        _cancellationToken = cancellationToken;
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>Chunk texts embedded by the model.</summary>
    public long ChunksEmbedded => Interlocked.Read(ref _embedded);

    /// <summary>Chunks that got a stored vector (or one embedded for an identical chunk in the same batch).</summary>
    public long ChunksReused => Interlocked.Read(ref _reused);

    /// <summary>Time spent inside the generator.</summary>
    public TimeSpan EmbeddingTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _embeddingTicks));

    /// <summary>The vectors of <paramref name="chunks"/>, in order (chunks that have one keep it).</summary>
    public Task<ReadOnlyMemory<float>[]> EmbedAsync(IReadOnlyList<IngestionChunk> chunks)
    {
        var request = new Request(chunks);
        if (!_queue.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(EmbeddingBatcher), "the ingestion run is over");
        }

        return request.Completion.Task;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Request>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_cancellationToken).ConfigureAwait(false))
            {
                var count = Drain(batch, 0);
                if (count < _batchSize && _linger > TimeSpan.Zero)
                {
                    await Task.Delay(_linger, _cancellationToken).ConfigureAwait(false);
                    count = Drain(batch, count);
                }

                await ProcessAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
        {
            // The run was cancelled or aborted; whoever waits is told below.
        }
        finally
        {
            _queue.Writer.TryComplete();
            foreach (var request in batch)
            {
                request.Completion.TrySetCanceled(_cancellationToken);
            }

            while (_queue.Reader.TryRead(out var request))
            {
                request.Completion.TrySetCanceled(_cancellationToken);
            }
        }
    }

    private int Drain(List<Request> batch, int count)
    {
        while (count < _batchSize && _queue.Reader.TryRead(out var request))
        {
            batch.Add(request);
            count += request.Chunks.Count;
        }

        return count;
    }

    private async Task ProcessAsync(List<Request> batch)
    {
        try
        {
            // Distinct texts by hash: a chunk repeated across documents (boilerplate) is embedded once.
            var pending = new Dictionary<string, string>(StringComparer.Ordinal);
            var withoutVector = 0;
            foreach (var request in batch)
            {
                foreach (var chunk in request.Chunks)
                {
                    if (chunk.Embedding is null)
                    {
                        withoutVector++;
                        pending.TryAdd(chunk.ContentHash, chunk.EmbeddingText);
                    }
                }
            }

            var vectors = new Dictionary<string, ReadOnlyMemory<float>>(pending.Count, StringComparer.Ordinal);
            var embeddedInTurns = 0;
            if (pending.Count > 0)
            {
                var stored = await _findStored(pending.Keys, _cancellationToken).ConfigureAwait(false);
                foreach (var (hash, vector) in stored)
                {
                    if (vector.Length == _model.Dimensions && pending.ContainsKey(hash))
                    {
                        vectors[hash] = vector;
                    }
                }

                var missing = pending.Where(p => !vectors.ContainsKey(p.Key)).ToList();
                if (missing.Count > 0)
                {
                    embeddedInTurns = await EmbedMissingAsync(missing, vectors).ConfigureAwait(false);
                }

                Interlocked.Add(ref _reused, withoutVector - missing.Count);
            }

            // Turns reported the distinct texts they embedded; the rest of the batch's chunks got their vector now.
            _ready?.Invoke(withoutVector - embeddedInTurns);

            foreach (var request in batch)
            {
                var result = new ReadOnlyMemory<float>[request.Chunks.Count];
                for (var i = 0; i < result.Length; i++)
                {
                    var chunk = request.Chunks[i];
                    result[i] = chunk.Embedding ?? vectors[chunk.ContentHash];
                }

                request.Completion.TrySetResult(result);
            }
        }
        catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Every document of the batch gets the error; its embed step decides whether to retry.
            foreach (var request in batch)
            {
                request.Completion.TrySetException(ex);
            }
        }
    }

    // Returns how many texts it embedded (each reported to the progress callback after its turn).
    private async Task<int> EmbedMissingAsync(List<KeyValuePair<string, string>> missing, Dictionary<string, ReadOnlyMemory<float>> vectors)
    {
        foreach (var turn in missing.Chunk(_turnSize))
        {
            // Waits while other tenants take their turns; a cancelled run gives up its place in line.
            using var lease = await _turns.EnterAsync(_turnKey, _cancellationToken).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            var generated = await _generator.GenerateAsync([.. turn.Select(m => m.Value)], cancellationToken: _cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _embeddingTicks, Stopwatch.GetTimestamp() - started);
            if (generated.Count != turn.Length)
            {
                throw new InvalidOperationException($"the embedding generator returned {generated.Count} vectors for {turn.Length} inputs");
            }

            for (var i = 0; i < turn.Length; i++)
            {
                var vector = generated[i].Vector;
                if (vector.Length != _model.Dimensions)
                {
                    throw new InvalidOperationException($"the embedding generator returned a {vector.Length}-dimension vector, but the model is {_model}");
                }

                vectors[turn[i].Key] = vector;
            }

            Interlocked.Add(ref _embedded, turn.Length);
            _ready?.Invoke(turn.Length);
        }

        return missing.Count;
    }

    private sealed class Request(IReadOnlyList<IngestionChunk> chunks)
    {
        public IReadOnlyList<IngestionChunk> Chunks { get; } = chunks;

        public TaskCompletionSource<ReadOnlyMemory<float>[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
