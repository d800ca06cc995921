using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>Answers with the real model: quoted and cited from real chunks, generated through a chat client, or refused when nothing is relevant.</summary>
public sealed partial class AnswerTests(PostgresServer server, MiniLmFixture model) : IClassFixture<MiniLmFixture>, IAsyncLifetime
{
    private const string Prefix = "srch_answer";

    private readonly RetrievalIndexCache _cache = new();
    private Postgres.TenantRagDatabase? _database;

    public async ValueTask InitializeAsync() => _database = await server.OpenInstallationAsync(Prefix);

    public async ValueTask DisposeAsync()
    {
        _cache.Dispose();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task AskAsync_UnrelatedQuestion_ReturnsNoAnswerWithReason()
    {
        var (answers, alice, _) = await LibraryAsync();

        var answer = await answers.AskAsync(alice, "How do I bake a chocolate cake?", 5, TestContext.Current.CancellationToken);

        Assert.False(answer.IsAnswered);
        Assert.Equal(AnswerMode.None, answer.Mode);
        Assert.Empty(answer.Citations);
        Assert.Empty(answer.Text);
        Assert.Contains("nothing relevant", answer.NoAnswerReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AskAsync_OffTopicQuestionSharingAWord_ReturnsNoAnswerBecauseNoSentenceSupportsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var (answers, alice, search) = await LibraryAsync();

        var found = await search.SearchAsync(alice, "What time does the train to Berlin leave?", 5, cancellationToken: ct);
        var answer = await answers.AskAsync(alice, "What time does the train to Berlin leave?", 5, ct);

        Assert.True(found.LexicalCandidates > 0);
        Assert.False(answer.IsAnswered);
        Assert.Contains("no sentence", answer.NoAnswerReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AskAsync_NoChatModel_QuotesSentencesOfCitedChunksWithMatchingMarkers()
    {
        var ct = TestContext.Current.CancellationToken;
        var (answers, alice, search) = await LibraryAsync();

        var answer = await answers.AskAsync(alice, "What do mitochondria produce for the cell?", 5, ct);
        var cited = await search.SearchAsync(alice, "What do mitochondria produce for the cell?", 5, cancellationToken: ct);

        Assert.Equal(AnswerMode.Extractive, answer.Mode);
        Assert.Equal("Mitochondria", answer.Citations[0].DocumentTitle);
        Assert.Equal(Enumerable.Range(1, answer.Citations.Count), answer.Citations.Select(c => c.Number));
        var quoted = Quoted().Match(answer.Text);
        Assert.True(quoted.Success, answer.Text);
        var sentences = quoted.Groups["s"].Captures;
        var numbers = quoted.Groups["n"].Captures;
        Assert.Equal(answer.Citations.Select(c => c.Number), numbers.Select(n => int.Parse(n.Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order());
        for (var i = 0; i < sentences.Count; i++)
        {
            var citation = answer.Citations.Single(c => c.Number == int.Parse(numbers[i].Value, System.Globalization.CultureInfo.InvariantCulture));
            var chunk = cited.Hits.Single(h => h.Chunk.Id == citation.ChunkId).Chunk;
            Assert.Contains(sentences[i].Value, chunk.Content, StringComparison.Ordinal);
            Assert.Equal((chunk.DocumentId, chunk.Ordinal, chunk.DocumentTitle), (citation.DocumentId, citation.ChunkOrdinal, citation.DocumentTitle));
        }

        Assert.Contains("chemical energy", answer.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RetrieverKind.Lexical)]
    [InlineData(RetrieverKind.Vector)]
    public async Task AskAsync_AnswersRetrievedByOneRetrieverAlone_AreQuotedAndCited(RetrieverKind retriever)
    {
        // A full-text search has no question vector to hand on: the answerer embeds the question itself (it once
        // took the missing vector for an empty one and failed on its length).
        var ct = TestContext.Current.CancellationToken;
        var (_, alice, search) = await LibraryAsync();
        var answers = new AnswerService(search, options: new AnswerOptions { Retrieval = RetrievalOptions.Default with { Retriever = retriever } });

        var found = await search.SearchAsync(alice, "What do mitochondria produce for the cell?", 5, RetrievalOptions.Default with { Retriever = retriever }, ct);
        var answer = await answers.AskAsync(alice, "What do mitochondria produce for the cell?", 5, ct);

        Assert.Equal(retriever == RetrieverKind.Lexical, found.QueryVector is null);
        Assert.Equal(AnswerMode.Extractive, answer.Mode);
        Assert.Equal("Mitochondria", answer.Citations[0].DocumentTitle);
        Assert.Contains("chemical energy", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AskAsync_ExtractiveAnswerAskedForOneChunk_QuotesFromTheBestTen()
    {
        var ct = TestContext.Current.CancellationToken;
        var (answers, alice, search) = await LibraryAsync();
        const string question = "What do cells and plants make to live?";

        var one = await answers.AskAsync(alice, question, 1, ct);
        var ten = await answers.AskAsync(alice, question, 10, ct);
        var best = await search.SearchAsync(alice, question, 10, cancellationToken: ct);

        Assert.Equal(ten.Text, one.Text);
        Assert.True(one.Citations.Count > 1, one.Text);
        Assert.All(one.Citations, c => Assert.Contains(best.Hits, h => h.Chunk.Id == c.ChunkId));
    }

    [Fact]
    public async Task AskStreamingAsync_WithChatClient_StreamsSourcesThenTextAndKeepsOnlyRealCitations()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, alice, search) = await LibraryAsync();
        var chat = new ScriptedChatClient("Mitochondria make the cell's chemical energy [1]", " as ATP [1][9].");
        var answers = new AnswerService(search, chat);

        var updates = new List<AnswerUpdate>();
        await foreach (var update in answers.AskStreamingAsync(alice, "What do mitochondria produce?", 3, ct))
        {
            updates.Add(update);
        }

        var sources = updates[0].Sources!;
        var answer = updates[^1].Completed!;
        Assert.Equal(3, sources.Count);
        Assert.Equal(["Mitochondria make the cell's chemical energy [1]", " as ATP [1][9]."], updates.Skip(1).SkipLast(1).Select(u => u.Text));
        Assert.Equal(AnswerMode.Generated, answer.Mode);
        Assert.Equal("Mitochondria make the cell's chemical energy [1] as ATP [1][9].", answer.Text);
        Assert.Equal([sources[0]], answer.Citations);
        Assert.Equal("Mitochondria", answer.Citations[0].DocumentTitle);
        var prompt = chat.LastMessages.Last().Text;
        Assert.Contains("[1] Mitochondria (part 1)", prompt, StringComparison.Ordinal);
        Assert.Contains("Question: What do mitochondria produce?", prompt, StringComparison.Ordinal);
        Assert.Equal(ChatRole.System, chat.LastMessages[0].Role);
    }

    private async Task<(AnswerService Answers, TenantContext Alice, SearchService Search)> LibraryAsync()
    {
        var database = _database!;
        var tenant = await Corpus.TenantAsync(database, TenancyMode.Shared);
        var alice = Corpus.As(tenant, "alice");
        foreach (var (title, text) in SmallLibrary.Documents)
        {
            await Corpus.AddAsync(database, alice, model.Generator, title, text);
        }

        var search = new SearchService(database.Search, model.Generator, _cache);
        return (new AnswerService(search), alice, search);
    }

    // The whole text: "<sentence> [n]" pieces, separated by single spaces.
    [GeneratedRegex(@"^(?:(?<s>[^\[\]]+?) \[(?<n>\d+)\](?: |$))+$")]
    private static partial Regex Quoted();

    /// <summary>A chat client that streams fixed pieces and remembers the messages it was sent.</summary>
    private sealed class ScriptedChatClient(params string[] pieces) : IChatClient
    {
        public IList<ChatMessage> LastMessages { get; private set; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            LastMessages = [.. messages];
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Concat(pieces))));
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            LastMessages = [.. messages];
            foreach (var piece in pieces)
            {
                await Task.Yield();
                yield return new ChatResponseUpdate(ChatRole.Assistant, piece);
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
