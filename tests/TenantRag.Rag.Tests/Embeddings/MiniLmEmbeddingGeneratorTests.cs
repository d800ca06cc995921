using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

public sealed class MiniLmEmbeddingGeneratorTests(MiniLmEmbeddingGeneratorFixture fixture, ITestOutputHelper output)
    : IClassFixture<MiniLmEmbeddingGeneratorFixture>
{
    private const string ResetPassword = "How do I reset my password?";
    private const string ChangePassword = "Steps to change your account password";
    private const string Giraffe = "The giraffe is the tallest living terrestrial animal.";

    private readonly MiniLmEmbeddingGenerator _generator = fixture.Generator;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Related_sentences_are_close_and_unrelated_ones_are_not()
    {
        var vectors = await EmbedAsync(ResetPassword, ChangePassword, Giraffe);

        var related = TensorPrimitives.CosineSimilarity(vectors[0], vectors[1]);
        var unrelated = TensorPrimitives.CosineSimilarity(vectors[0], vectors[2]);
        output.WriteLine($"cosine(related) = {related:F4}, cosine(unrelated) = {unrelated:F4}");

        Assert.True(related > 0.6f, $"related cosine {related}");
        Assert.True(unrelated < 0.3f, $"unrelated cosine {unrelated}");
    }

    [Fact]
    public async Task Vectors_have_384_dimensions_and_unit_length()
    {
        var result = await _generator.GenerateAsync([ResetPassword, Giraffe, "x"], cancellationToken: Ct);

        Assert.All(result, embedding =>
        {
            Assert.Equal(384, embedding.Vector.Length);
            Assert.Equal(1f, TensorPrimitives.Norm(embedding.Vector.Span), 1e-4f);
            Assert.Equal("all-MiniLM-L6-v2", embedding.ModelId);
        });
    }

    [Fact]
    public async Task Batch_equals_one_by_one_and_keeps_input_order()
    {
        // Lengths deliberately out of order so the length-sorted batching has to restore input order, and more
        // inputs than one batch so several padded batches are involved.
        var inputs = Enumerable.Range(0, 45)
            .Select(i => string.Join(' ', Enumerable.Repeat($"sentence number {i} about topic {i % 7}", 1 + ((i * 37) % 11))))
            .ToArray();

        var batched = await _generator.GenerateAsync(inputs, cancellationToken: Ct);

        Assert.Equal(inputs.Length, batched.Count);
        for (var i = 0; i < inputs.Length; i++)
        {
            var single = (await _generator.GenerateAsync([inputs[i]], cancellationToken: Ct))[0].Vector.ToArray();
            var fromBatch = batched[i].Vector.ToArray();
            for (var d = 0; d < single.Length; d++)
            {
                Assert.True(Math.Abs(single[d] - fromBatch[d]) < 1e-4f, $"input {i} dim {d}: {single[d]} vs {fromBatch[d]}");
            }
        }
    }

    [Fact]
    public async Task Very_long_input_is_cut_at_512_tokens()
    {
        var words = Enumerable.Range(0, 5000).Select(i => WordList[i % WordList.Length]);
        var longText = string.Join(' ', words);
        Assert.True(_generator.Tokenizer.CountTokens(longText) > 512);

        var result = await _generator.GenerateAsync([longText, longText + " completely different trailing words about giraffes"], cancellationToken: Ct);

        Assert.Equal(2 * 512, result.Usage?.InputTokenCount);

        // Everything past token 512 is dropped, so appending text changes nothing.
        Assert.Equal(1f, TensorPrimitives.CosineSimilarity(result[0].Vector.Span, result[1].Vector.Span), 1e-5f);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ")]
    public async Task Empty_input_is_rejected_with_a_clear_message(string input)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => _generator.GenerateAsync([ResetPassword, input], cancellationToken: Ct));

        Assert.Contains("Input 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing to embed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_list_gives_empty_result()
    {
        var result = await _generator.GenerateAsync([], cancellationToken: Ct);

        Assert.Empty(result);
    }

    [Fact]
    public async Task Input_is_lowercased()
    {
        var vectors = await EmbedAsync("RESET My Password", "reset my password");

        Assert.Equal(1f, TensorPrimitives.CosineSimilarity(vectors[0], vectors[1]), 1e-5f);
    }

    [Fact]
    public async Task Accented_input_embeds_like_its_unaccented_form()
    {
        var vectors = await EmbedAsync("Crème brûlée in Zürich", "creme brulee in zurich");

        Assert.Equal(1f, TensorPrimitives.CosineSimilarity(vectors[0], vectors[1]), 1e-5f);
    }

    [Fact]
    public void Metadata_names_the_model_and_its_dimensions()
    {
        var metadata = _generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal("all-MiniLM-L6-v2", metadata.DefaultModelId);
        Assert.Equal(384, metadata.DefaultModelDimensions);
        IEmbeddingModelInfo info = _generator;
        Assert.Equal("all-MiniLM-L6-v2", info.ModelName);
        Assert.Equal(384, info.Dimensions);
        Assert.Same(_generator.Tokenizer, _generator.GetService<ITokenCounter>());
    }

    [Fact]
    public async Task Requesting_other_dimensions_is_rejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(
            () => _generator.GenerateAsync([ResetPassword], new EmbeddingGenerationOptions { Dimensions = 768 }, Ct));
    }

    [Fact]
    public async Task Cancelled_token_stops_generation()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _generator.GenerateAsync([ResetPassword], cancellationToken: cts.Token));
    }

    [Fact]
    public async Task Concurrent_calls_give_the_same_vectors_as_sequential_ones()
    {
        string[] inputs = [ResetPassword, ChangePassword, Giraffe, "Quarterly revenue grew by twelve percent."];
        var expected = await EmbedAsync(inputs);

        var tasks = Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => _generator.GenerateAsync([inputs[i % inputs.Length]], cancellationToken: Ct), Ct))
            .ToArray();
        var results = await Task.WhenAll(tasks);

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(1f, TensorPrimitives.CosineSimilarity(expected[i % inputs.Length], results[i][0].Vector.Span), 1e-5f);
        }
    }

    [Fact]
    public async Task Reports_throughput_without_asserting_on_it()
    {
        var sentences = Enumerable.Range(0, 128)
            .Select(i => $"Document {i}: {WordList[i % WordList.Length]} policies for {WordList[(i * 7) % WordList.Length]} teams, " +
                         $"reviewed every {i % 12 + 1} months by the {WordList[(i * 3) % WordList.Length]} group.")
            .ToArray();
        await _generator.GenerateAsync(sentences.Take(8), cancellationToken: Ct);

        var stopwatch = Stopwatch.StartNew();
        await _generator.GenerateAsync(sentences, cancellationToken: Ct);
        stopwatch.Stop();

        var perSecond = sentences.Length / stopwatch.Elapsed.TotalSeconds;
        var line = string.Create(CultureInfo.InvariantCulture, $"MiniLM throughput: {perSecond:F0} sentences/s ({sentences.Length} short sentences in {stopwatch.ElapsedMilliseconds} ms)");
        output.WriteLine(line);
        TestContext.Current.SendDiagnosticMessage(line);
    }

    private async Task<float[][]> EmbedAsync(params string[] inputs)
    {
        var result = await _generator.GenerateAsync(inputs, cancellationToken: Ct);
        return result.Select(e => e.Vector.ToArray()).ToArray();
    }

    private static readonly string[] WordList =
    [
        "account", "billing", "security", "network", "invoice", "storage", "backup", "customer", "support", "release",
        "database", "tenant", "policy", "audit", "report", "schedule", "contract", "vendor", "payroll", "travel",
    ];
}
