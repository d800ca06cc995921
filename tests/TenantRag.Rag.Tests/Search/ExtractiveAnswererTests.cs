using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Tests.Search;

public sealed partial class ExtractiveAnswererTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnswerAsync_SupportingSentences_QuotesThemEachWithItsChunksNumber()
    {
        var answerer = new ExtractiveAnswerer(new Hits.WordEmbeddings());
        var hits = new[]
        {
            Hits.Of(1, "Aspirin", "Aspirin lowers the risk of heart attacks in adults. It is cheap. The trial ran for five years."),
            Hits.Of(2, "Weather", "It rained all week in the valley."),
            Hits.Of(3, "Statins", "Statins also lower heart attack risk in adults over sixty."),
        };

        var answer = await answerer.AnswerAsync("Does aspirin lower the risk of heart attacks?", hits, Ct);

        Assert.Equal(AnswerMode.Extractive, answer.Mode);
        Assert.StartsWith("Aspirin lowers the risk of heart attacks in adults. [1]", answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("rained", answer.Text, StringComparison.Ordinal);
        var cited = Markers().Matches(answer.Text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order();
        Assert.Equal(answer.Citations.Select(c => c.Number), cited);
        Assert.Equal("Aspirin", answer.Citations[0].DocumentTitle);
        Assert.Equal(hits[0].Chunk.Id, answer.Citations[0].ChunkId);
    }

    [Fact]
    public async Task AnswerAsync_NothingSupportsTheQuestion_ReturnsNoAnswerWithReason()
    {
        var answerer = new ExtractiveAnswerer(new Hits.WordEmbeddings());

        var answer = await answerer.AnswerAsync("How do volcanoes erupt?", [Hits.Of(1, "Weather", "It rained all week in the valley.")], Ct);

        Assert.False(answer.IsAnswered);
        Assert.Empty(answer.Citations);
        Assert.Contains("no sentence", answer.NoAnswerReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswerAsync_SentenceRepeatedByOverlappingChunks_IsQuotedOnce()
    {
        var answerer = new ExtractiveAnswerer(new Hits.WordEmbeddings(), new AnswerOptions { MaxSentences = 3 });
        var hits = new[]
        {
            Hits.Of(1, "Guide", "Glaciers carve deep valleys over centuries.", ordinal: 0),
            Hits.Of(2, "Guide", "Glaciers carve deep valleys over centuries. Ice moves slowly.", ordinal: 1),
        };

        var answer = await answerer.AnswerAsync("How do glaciers carve valleys?", hits, Ct);

        Assert.Single(Regex.Matches(answer.Text, "Glaciers carve"));
        Assert.Equal(1, answer.Citations[0].Number);
    }

    [Fact]
    public async Task AnswerAsync_ManyCandidatesAndTheSearchsQuestionVector_EmbedsOnlyTheShortlist()
    {
        var embeddings = new CountingEmbeddings();
        var answerer = new ExtractiveAnswerer(embeddings, new AnswerOptions { EmbeddedCandidates = 5 });
        var passage = string.Join(' ', Enumerable.Range(1, 20).Select(i => $"Glacier number {i} carves a valley over many centuries."));
        var question = "How do glaciers carve valleys?";
        var questionVector = (await new Hits.WordEmbeddings().GenerateAsync([question], cancellationToken: Ct))[0].Vector;

        var answer = await answerer.AnswerAsync(question, questionVector, [Hits.Of(1, "Glaciers", passage)], Ct);

        Assert.True(answer.IsAnswered);
        Assert.Equal(5, embeddings.Texts.Count);
        Assert.DoesNotContain(question, embeddings.Texts);
    }

    [Fact]
    public void Pack_OverBudget_KeepsWholeSourcesThatFitAndCutsOnlyAFirstOversizedOne()
    {
        var packer = new ContextPacker();
        var hits = new[] { Hits.Of(1, "A", new string('a', 200)), Hits.Of(2, "B", new string('b', 200)), Hits.Of(3, "C", "c") };

        var packed = packer.Pack(hits, tokenBudget: 110);
        var tiny = packer.Pack(hits, tokenBudget: 20);

        Assert.Equal([1, 2], packed.Sources.Select(s => s.Number));
        Assert.StartsWith("[1] A (part 1)\n", packed.Text, StringComparison.Ordinal);
        Assert.Contains("\n\n[2] B (part 1)\n", packed.Text, StringComparison.Ordinal);
        Assert.True(packed.Tokens <= 110);
        Assert.Equal([1], tiny.Sources.Select(s => s.Number));
        Assert.EndsWith("…\n\n", tiny.Text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex Markers();

    /// <summary>The word embeddings, remembering every text they embed.</summary>
    private sealed class CountingEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly Hits.WordEmbeddings _inner = new();

        public List<string> Texts { get; } = [];

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = values.ToList();
            lock (Texts)
            {
                Texts.AddRange(list); // the answerer embeds on two threads
            }

            return _inner.GenerateAsync(list, options, cancellationToken);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => _inner.GetService(serviceType, serviceKey);

        public void Dispose() => _inner.Dispose();
    }
}
