using TenantRag.Rag.Generation;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>Answers one evaluation question in the caller's tenant, as a user asking it would be answered.</summary>
public interface IEvaluationAnswerer
{
    /// <summary>The answer (or "no answer" with its reason).</summary>
    Task<Answer> AnswerAsync(TenantContext context, string question, CancellationToken cancellationToken = default);
}
