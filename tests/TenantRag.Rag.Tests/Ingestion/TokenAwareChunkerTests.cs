using TenantRag.Rag.Ingestion.Chunking;
using TenantRag.Rag.Ingestion.Extraction;

namespace TenantRag.Rag.Tests.Ingestion;

public sealed class TokenAwareChunkerTests
{
    private readonly WordPunctuationTokenCounter _counter = new();

    private static ExtractedDocument Document(string title, params DocumentSection[] sections) =>
        new() { Title = title, SourceFileName = title + ".txt", Sections = sections };

    [Fact]
    public void Long_section_is_split_within_bounds_at_sentence_ends_without_losing_text()
    {
        var (text, sentences) = SyntheticText.Paragraphs(paragraphs: 30, minSentences: 2, maxSentences: 8, minWords: 4, maxWords: 22);
        var document = Document("Handbook", new DocumentSection { HeadingPath = "Ops > Scaling", Text = text });

        var chunks = new TokenAwareChunker(_counter).Chunk(document, TestContext.Current.CancellationToken);

        Assert.True(chunks.Count > 5, $"expected many chunks, got {chunks.Count}");
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Ordinal));
        foreach (var chunk in chunks)
        {
            Assert.Equal("Handbook", chunk.DocumentTitle);
            Assert.Equal("Ops > Scaling", chunk.HeadingPath);
            Assert.Equal(text[chunk.StartOffset..chunk.EndOffset], chunk.Text);
            Assert.Equal(_counter.CountTokens(chunk.Text), chunk.TokenCount);
            Assert.InRange(chunk.TokenCount, 1, 256);
            Assert.StartsWith("Sentence ", chunk.Text, StringComparison.Ordinal);
            Assert.EndsWith(".", chunk.Text, StringComparison.Ordinal);
        }

        Assert.All(chunks.SkipLast(1), c => Assert.InRange(c.TokenCount, 100, 256));
        foreach (var sentence in sentences)
        {
            Assert.Contains(chunks, c => c.Text.Contains(sentence, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Consecutive_chunks_overlap_by_about_fifteen_percent_of_whole_sentences()
    {
        var (text, _) = SyntheticText.Paragraphs(paragraphs: 40, minSentences: 3, maxSentences: 7, minWords: 3, maxWords: 12, seed: 11);
        var document = Document("Notes", new DocumentSection { Text = text });

        var chunks = new TokenAwareChunker(_counter).Chunk(document, TestContext.Current.CancellationToken);

        var overlaps = new List<int>();
        for (var i = 1; i < chunks.Count; i++)
        {
            Assert.True(chunks[i].StartOffset < chunks[i - 1].EndOffset, $"chunk {i} does not overlap chunk {i - 1}");
            Assert.True(chunks[i].StartOffset > chunks[i - 1].StartOffset, $"chunk {i} does not advance");
            Assert.True(chunks[i].EndOffset > chunks[i - 1].EndOffset, $"chunk {i} adds no new text");
            var overlapText = text[chunks[i].StartOffset..chunks[i - 1].EndOffset];
            Assert.StartsWith("Sentence ", overlapText, StringComparison.Ordinal);
            Assert.EndsWith(".", overlapText, StringComparison.Ordinal);
            overlaps.Add(_counter.CountTokens(overlapText));
        }

        Assert.NotEmpty(overlaps);
        Assert.All(overlaps, o => Assert.InRange(o, 5, 45));
        Assert.InRange(overlaps.Average(), 20, 40); // target 200 x 0.15 = 30
    }

    [Fact]
    public void Chunks_end_at_paragraph_ends_when_possible()
    {
        // Paragraphs of roughly 110-150 tokens: two never fit in 200, so every cut should fall on a paragraph end.
        var (text, _) = SyntheticText.Paragraphs(paragraphs: 12, minSentences: 8, maxSentences: 9, minWords: 9, maxWords: 11, seed: 3);
        var document = Document("Paragraphs", new DocumentSection { Text = text });

        var chunks = new TokenAwareChunker(_counter).Chunk(document, TestContext.Current.CancellationToken);

        Assert.True(chunks.Count >= 10);
        foreach (var chunk in chunks)
        {
            Assert.True(
                chunk.EndOffset == text.Length || text.AsSpan(chunk.EndOffset).StartsWith("\n\n"),
                $"chunk {chunk.Ordinal} ends mid-paragraph");
        }
    }

    [Fact]
    public void Giant_sentence_is_cut_between_words_with_word_overlap()
    {
        var random = new Random(5);
        var words = Enumerable.Range(0, 1_000).Select(i => $"w{i}x{random.Next(100)}").ToArray();
        var text = string.Join(' ', words);
        var document = Document("Run-on", new DocumentSection { Text = text });

        var chunks = new TokenAwareChunker(_counter).Chunk(document, TestContext.Current.CancellationToken);

        Assert.True(chunks.Count >= 5);
        var wordSet = words.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i];
            Assert.InRange(chunk.TokenCount, 1, 256);
            Assert.True(chunk.StartOffset == 0 || text[chunk.StartOffset - 1] == ' ', $"chunk {i} starts mid-word");
            Assert.True(chunk.EndOffset == text.Length || text[chunk.EndOffset] == ' ', $"chunk {i} ends mid-word");
            Assert.All(chunk.Text.Split(' '), w => Assert.Contains(w, wordSet));
            if (i > 0)
            {
                var overlap = _counter.CountTokens(text[chunk.StartOffset..chunks[i - 1].EndOffset]);
                Assert.InRange(overlap, 1, 30);
            }
        }

        Assert.Equal(text.Length, chunks[^1].EndOffset);
    }

    [Fact]
    public void Giant_word_over_the_cap_is_the_only_thing_cut_inside()
    {
        var blob = new string('q', 40) + string.Concat(Enumerable.Repeat("-abc", 150));
        var text = $"Before the blob. {blob} After the blob.";
        var document = Document("Blob", new DocumentSection { Text = text });

        var chunks = new TokenAwareChunker(_counter).Chunk(document, TestContext.Current.CancellationToken);

        Assert.All(chunks, c => Assert.InRange(c.TokenCount, 1, 256));
        Assert.Contains(chunks, c => c.Text.StartsWith("Before the blob.", StringComparison.Ordinal));
        Assert.EndsWith("After the blob.", chunks[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_document_is_a_single_chunk_with_title_and_heading()
    {
        var document = Document(
            "FAQ",
            new DocumentSection { HeadingPath = "Billing", Text = "How do I pay? Use a card.\n\nCan I get a refund? Yes, within 30 days." },
            new DocumentSection { HeadingPath = "Billing > Invoices", Text = "Invoices are emailed monthly." });

        var chunk = Assert.Single(new TokenAwareChunker(_counter).Chunk(document, TestContext.Current.CancellationToken));

        Assert.Equal(0, chunk.Ordinal);
        Assert.Equal("FAQ", chunk.DocumentTitle);
        Assert.Equal("Billing", chunk.HeadingPath);
        Assert.Equal((0, 1), (chunk.SectionIndex, chunk.LastSectionIndex));
        Assert.Equal("How do I pay? Use a card.\n\nCan I get a refund? Yes, within 30 days.\n\nInvoices are emailed monthly.", chunk.Text);
        Assert.Equal(_counter.CountTokens(chunk.Text), chunk.TokenCount);
    }

    [Fact]
    public void Small_sections_merge_but_large_sections_stand_alone_without_cross_section_overlap()
    {
        var (large, largeSentences) = SyntheticText.Paragraphs(paragraphs: 10, minSentences: 3, maxSentences: 6, minWords: 5, maxWords: 15);
        var document = Document(
            "Guide",
            new DocumentSection { HeadingPath = "Intro", Text = "Welcome to the guide." },
            new DocumentSection { HeadingPath = "Intro > Audience", Text = "It is for operators." },
            new DocumentSection { HeadingPath = "Intro > Scope", Text = "It covers scaling." },
            new DocumentSection { HeadingPath = "Scaling", Text = large },
            new DocumentSection { HeadingPath = "Appendix", Text = "See also the FAQ." });

        var chunks = new TokenAwareChunker(_counter).Chunk(document, TestContext.Current.CancellationToken);

        Assert.Equal("Intro", chunks[0].HeadingPath);
        Assert.Equal((0, 2), (chunks[0].SectionIndex, chunks[0].LastSectionIndex));
        Assert.Equal("Welcome to the guide.\n\nIt is for operators.\n\nIt covers scaling.", chunks[0].Text);

        var scaling = chunks.Where(c => c.SectionIndex == 3).ToList();
        Assert.True(scaling.Count >= 2);
        Assert.All(scaling, c => Assert.Equal("Scaling", c.HeadingPath));
        Assert.All(scaling, c => Assert.Equal(3, c.LastSectionIndex));
        Assert.Equal(0, scaling[0].StartOffset);
        Assert.Equal(large.Length, scaling[^1].EndOffset);
        Assert.All(largeSentences, s => Assert.Contains(scaling, c => c.Text.Contains(s, StringComparison.Ordinal)));

        var appendix = chunks[^1];
        Assert.Equal(("Appendix", 4, 0), (appendix.HeadingPath, appendix.SectionIndex, appendix.StartOffset));
        Assert.Equal("See also the FAQ.", appendix.Text);
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Ordinal));
    }

    [Fact]
    public void Merging_can_be_disabled()
    {
        var document = Document(
            "Guide",
            new DocumentSection { HeadingPath = "A", Text = "First." },
            new DocumentSection { HeadingPath = "B", Text = "Second." });

        var chunks = new TokenAwareChunker(_counter, new ChunkingOptions { MergeSmallSections = false }).Chunk(document, TestContext.Current.CancellationToken);

        Assert.Equal<string?>(["A", "B"], chunks.Select(c => c.HeadingPath));
    }

    [Fact]
    public void Abbreviations_initials_and_decimals_do_not_end_sentences()
    {
        const string text = "Smith et al. reported gains in 2005. Dr. Jones agreed with e.g. the main result. Values of 3.5 were seen!";
        var options = new ChunkingOptions { TargetTokens = 15, MaxTokens = 15, OverlapRatio = 0 };

        var chunks = new TokenAwareChunker(_counter, options).Chunk(Document("Refs", new DocumentSection { Text = text }), TestContext.Current.CancellationToken);

        Assert.Equal(
            ["Smith et al. reported gains in 2005.", "Dr. Jones agreed with e.g. the main result.", "Values of 3.5 were seen!"],
            chunks.Select(c => c.Text).ToArray());
    }

    [Fact]
    public void Blank_document_has_no_chunks()
    {
        var chunks = new TokenAwareChunker(_counter).Chunk(Document("Empty", new DocumentSection { Text = "  \n\n " }), TestContext.Current.CancellationToken);

        Assert.Empty(chunks);
    }

    [Fact]
    public void Token_counting_is_linear_in_text_length()
    {
        var (text, _) = SyntheticText.Paragraphs(paragraphs: 600, minSentences: 2, maxSentences: 8, minWords: 3, maxWords: 30, seed: 21);
        var counter = new WordPunctuationTokenCounter();

        var chunks = new TokenAwareChunker(counter).Chunk(Document("Big", new DocumentSection { Text = text }), TestContext.Current.CancellationToken);

        Assert.True(chunks.Count > 100);
        // Each sentence once, each chunk once (~1.15x with overlap), plus a few overlap words: well under 3x.
        Assert.InRange(counter.CountedCharacters, text.Length, 3L * text.Length);
    }

    [Fact]
    public void Five_thousand_abstracts_chunk_quickly()
    {
        var documents = Enumerable.Range(0, 5_000)
            .Select(i => SyntheticText.Paragraphs(paragraphs: 1, minSentences: 6, maxSentences: 14, minWords: 8, maxWords: 24, seed: i).Text)
            .Select((text, i) => Document($"Abstract {i}", new DocumentSection { Text = text }))
            .ToList();
        var chunker = new TokenAwareChunker(new WordPunctuationTokenCounter());
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var total = documents.Sum(d => chunker.Chunk(d, TestContext.Current.CancellationToken).Count);

        Assert.InRange(total, 5_000, 20_000);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"chunking took {stopwatch.Elapsed}");
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenAwareChunker(_counter, new ChunkingOptions { TargetTokens = 300, MaxTokens = 256 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenAwareChunker(_counter, new ChunkingOptions { OverlapRatio = 0.6 }));
    }

    [Fact]
    public async Task Extracted_markdown_flows_into_chunks_with_headings()
    {
        using var dir = new TempDirectory();
        var (body, _) = SyntheticText.Paragraphs(paragraphs: 6, minSentences: 3, maxSentences: 6, minWords: 5, maxWords: 15);
        var path = dir.Write("guide.md", $"# Acme Guide\n\nIntro text.\n\n## Install\n\nGeneral notes.\n\n### Linux\n\n{body}\n\n## Usage\n\nRun it.\n");
        var document = await Extract.SingleAsync(path);

        var chunks = new TokenAwareChunker(_counter, new ChunkingOptions { MergeSmallSections = false }).Chunk(document, TestContext.Current.CancellationToken);

        Assert.All(chunks, c => Assert.Equal("Acme Guide", c.DocumentTitle));
        Assert.Contains(chunks, c => c.HeadingPath == "Install > Linux");
        Assert.Equal<string?>(
            [null, "Install", "Install > Linux", "Usage"],
            chunks.Select(c => c.HeadingPath).Distinct());
    }
}
