namespace TenantRag.Rag.Evaluation;

/// <summary>What a question of a question set expects: the page that answers it, the section there, and the key fact.</summary>
public sealed record AnswerKey
{
    /// <summary>The page that answers the question: its path below the pages directory, with <c>/</c> separators (e.g. <c>guide/tests.html</c>).</summary>
    public required string Page { get; init; }

    /// <summary>
    /// Other pages that answer the question as well (a command's page and the guide chapter that shows the same flag):
    /// finding one of them counts as finding the answer, a little less than finding <see cref="Page"/>. Often empty.
    /// </summary>
    public IReadOnlyList<string> AlsoPages { get; init; } = [];

    /// <summary><see cref="Page"/> and then <see cref="AlsoPages"/>: every page that answers the question.</summary>
    public IEnumerable<string> AnsweringPages => [Page, .. AlsoPages];

    /// <summary>The heading of the section on <see cref="Page"/> that holds the answer.</summary>
    public required string Section { get; init; }

    /// <summary>
    /// The fact an answer must state, in one or a few alternative phrasings (e.g. <c>cargo test foo</c>): an answer
    /// states it when its text contains any of them, ignoring case and differences in whitespace (<see cref="KeyFacts"/>).
    /// </summary>
    public required IReadOnlyList<string> KeyFacts { get; init; }
}
