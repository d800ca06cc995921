using System.Numerics.Tensors;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

/// <summary>Loads the bundled model twice, as published and with int8 weights, for the tests that compare them.</summary>
public sealed class FloatAndInt8GeneratorsFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Float { get; } = new();

    public MiniLmEmbeddingGenerator Int8 { get; } = new(new MiniLmEmbeddingGeneratorOptions { Precision = EmbeddingPrecision.Int8, IntraOpNumThreads = 1 });

    public void Dispose()
    {
        Float.Dispose();
        Int8.Dispose();
    }
}

public sealed class Int8EmbeddingTests(FloatAndInt8GeneratorsFixture fixture, ITestOutputHelper output)
    : IClassFixture<FloatAndInt8GeneratorsFixture>
{
    private static readonly string[] Queries =
    [
        "How do I reset my password?",
        "0-dimensional biomaterials show inductive properties.",
        "1/2000 in UK have abnormal PrP positivity.",
        "Which invoices are still unpaid after 30 days?",
        "Der Vertrag endet am 31. Dezember, ohne Kündigung.",
        "kubectl get pods --namespace=prod returns CrashLoopBackOff",
        "ℝ² → ℝ maps and their gradients ∇f",
        "x",
    ];

    private static readonly string[] Documents =
    [
        "To change your account password, open Settings, choose Security and follow the reset link we email you.",
        "Nanoscale biomaterials can induce osteogenic differentiation of stem cells without added growth factors.",
        "A survey of appendix tissue found abnormal prion protein in roughly one in two thousand people in the United Kingdom.",
        "The accounts payable report lists every invoice that remains open beyond its thirty-day payment term.",
        "Kündigungsfristen: Der Vertrag verlängert sich automatisch, sofern er nicht bis zum 31. Dezember gekündigt wird.",
        "A pod in CrashLoopBackOff keeps restarting; inspect it with kubectl logs and kubectl describe pod.",
        "The gradient of a scalar field on the plane is a vector field pointing along the steepest ascent.",
        "Giraffes are the tallest living terrestrial animals.",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Int8_vectors_stay_close_to_the_float_models()
    {
        string[] inputs = [.. Queries, .. Documents, string.Join(' ', Enumerable.Repeat(Documents[2], 40))];
        var floats = await fixture.Float.GenerateAsync(inputs, cancellationToken: Ct);
        var int8 = await fixture.Int8.GenerateAsync(inputs, cancellationToken: Ct);

        for (var i = 0; i < inputs.Length; i++)
        {
            var cosine = TensorPrimitives.CosineSimilarity(floats[i].Vector.Span, int8[i].Vector.Span);
            output.WriteLine($"input {i}: cosine(float, int8) = {cosine:F4}");
            Assert.True(cosine > 0.97f, $"input {i}: cosine {cosine}");
            Assert.Equal(1f, TensorPrimitives.Norm(int8[i].Vector.Span), 1e-4f);
            Assert.Equal(384, int8[i].Vector.Length);
            Assert.Equal("all-MiniLM-L6-v2", int8[i].ModelId);
        }
    }

    [Fact]
    public async Task Int8_queries_rank_float_documents_like_float_queries()
    {
        var documents = await fixture.Float.GenerateAsync(Documents, cancellationToken: Ct);
        var floatQueries = await fixture.Float.GenerateAsync(Queries[..^1], cancellationToken: Ct);
        var int8Queries = await fixture.Int8.GenerateAsync(Queries[..^1], cancellationToken: Ct);

        for (var q = 0; q < floatQueries.Count; q++)
        {
            var expected = Ranking(floatQueries[q].Vector, documents);
            var actual = Ranking(int8Queries[q].Vector, documents);
            output.WriteLine($"query {q}: float ranks {string.Join(',', expected)}, int8 ranks {string.Join(',', actual)}");

            // Each query was written for the document at its own index: both precisions find it first.
            Assert.Equal(q, expected[0]);
            Assert.Equal(q, actual[0]);
            Assert.Equal(expected.Take(3), actual.Take(3));
        }
    }

    [Fact]
    public async Task Int8_keeps_related_sentences_close_and_unrelated_ones_apart()
    {
        var vectors = await fixture.Int8.GenerateAsync(
            ["How do I reset my password?", "Steps to change your account password", "The giraffe is the tallest living terrestrial animal."],
            cancellationToken: Ct);

        var related = TensorPrimitives.CosineSimilarity(vectors[0].Vector.Span, vectors[1].Vector.Span);
        var unrelated = TensorPrimitives.CosineSimilarity(vectors[0].Vector.Span, vectors[2].Vector.Span);
        output.WriteLine($"int8: cosine(related) = {related:F4}, cosine(unrelated) = {unrelated:F4}");
        Assert.InRange(related, 0.7f, 0.85f);
        Assert.InRange(unrelated, -0.15f, 0.15f);
    }

    [Fact]
    public void Each_generator_reports_its_precision()
    {
        Assert.Equal(EmbeddingPrecision.Float32, fixture.Float.Precision);
        Assert.Equal(EmbeddingPrecision.Int8, fixture.Int8.Precision);
        Assert.Equal(fixture.Float.ModelName, fixture.Int8.ModelName);
    }

    [Fact]
    public void An_undefined_precision_is_rejected_before_the_model_loads()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MiniLmEmbeddingGenerator(new MiniLmEmbeddingGeneratorOptions { Precision = (EmbeddingPrecision)7 }));
        Assert.Contains("precision", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static int[] Ranking(ReadOnlyMemory<float> query, IList<Microsoft.Extensions.AI.Embedding<float>> documents) =>
        Enumerable.Range(0, documents.Count)
            .OrderByDescending(d => TensorPrimitives.Dot(query.Span, documents[d].Vector.Span))
            .ToArray();
}
