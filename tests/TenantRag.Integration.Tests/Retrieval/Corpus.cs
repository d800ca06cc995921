using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Rag.Embeddings;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>Tenants and documents for search tests, stored the way ingestion stores them (one chunk per paragraph, embedded as heading, line break, text).</summary>
internal static class Corpus
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Task<TenantInfo> TenantAsync(TenantRagDatabase database, TenancyMode mode, string stem = "srch") =>
        database.Catalog.CreateAsync(Slugs.Unique(stem), mode, Ct);

    public static TenantContext As(TenantInfo tenant, string user) => TenantContext.For(tenant.Slug, UserId.Parse(user));

    /// <summary>Stores a document owned by <paramref name="who"/>, one chunk per paragraph (blank-line separated); returns its id.</summary>
    public static async Task<Guid> AddAsync(TenantRagDatabase database, TenantContext who, IEmbeddingGenerator<string, Embedding<float>> embeddings,
        string title, string text, DocumentVisibility visibility = DocumentVisibility.Tenant)
    {
        var info = (IEmbeddingModelInfo)embeddings;
        var model = new EmbeddingModel(info.ModelName, info.Dimensions);
        var paragraphs = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var vectors = await embeddings.GenerateAsync(paragraphs.Select(p => title + "\n" + p), cancellationToken: Ct);
        var chunks = paragraphs.Select((p, i) => new NewChunk
        {
            Ordinal = i,
            Heading = title,
            Content = p,
            ContentHash = Hash(model.Name + "\n" + title + "\n" + p),
            Embedding = vectors[i].Vector,
        }).ToList();
        var document = new NewDocument
        {
            Title = title,
            Source = title + ".txt",
            ContentHash = Hash(visibility.ToName() + "\n" + text),
            Visibility = visibility,
        };
        var (id, _) = await database.Documents.StoreAsync(who, document, chunks, model, Ct);
        return id;
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
