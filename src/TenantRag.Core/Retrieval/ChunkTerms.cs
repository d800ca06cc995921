namespace TenantRag.Retrieval;

/// <summary>
/// One chunk's full-text terms, as the in-process lexical index loads them: the normalised (stemmed) words of the
/// chunk's heading and text, each with how strongly the chunk holds it.
/// </summary>
/// <param name="ChunkId">The chunk.</param>
/// <param name="Owner">The user who owns the chunk.</param>
/// <param name="IsPrivate">Whether only <paramref name="Owner"/> may see the chunk.</param>
/// <param name="DistinctTerms">How many distinct terms the chunk holds (its length for length normalisation).</param>
/// <param name="Terms">
/// Each distinct term with its frequency, counted in body occurrences: the heaviest occurrence counts fully (one in
/// the heading 2.5, one in the text 1) and the occurrence at place j (1-based, in text order) adds its weight
/// divided by j², so repeats saturate.
/// </param>
public sealed record ChunkTerms(long ChunkId, string Owner, bool IsPrivate, int DistinctTerms, IReadOnlyList<(string Term, float Frequency)> Terms);
