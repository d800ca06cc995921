using TenantRag.Rag.Generation;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Answers evaluation questions with <see cref="AnswerService.AskAsync"/> from <see cref="Chunks"/> retrieved chunks,
/// as <c>tenantrag ask</c> and <c>POST /v1/ask</c> do by default; with no chat model the answers are extractive.
/// </summary>
public sealed class AnswerServiceEvaluationAnswerer : IEvaluationAnswerer
{
    /// <summary>Chunks each answer is made from: the default <c>k</c> of <c>tenantrag ask</c> and <c>POST /v1/ask</c>.</summary>
    public const int Chunks = 5;

    private readonly AnswerService _answers;

    /// <summary>Creates the answerer.</summary>
    /// <param name="answers">The answer service under test (its retrieval settings are those of the search evaluated).</param>
    public AnswerServiceEvaluationAnswerer(AnswerService answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        _answers = answers;
    }

    /// <inheritdoc />
    public Task<Answer> AnswerAsync(TenantContext context, string question, CancellationToken cancellationToken = default) =>
        _answers.AskAsync(context, question, Chunks, cancellationToken);
}
