using TenantRag.Rag.Evaluation;
using TenantRag.Rag.Generation;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Tests.Evaluation;

/// <summary>Answers each question with a fixed text ("not found" when there is none), remembering what it was asked.</summary>
internal sealed class ScriptedAnswerer(Dictionary<string, string> answers) : IEvaluationAnswerer
{
    public List<(string Tenant, string Question)> Asked { get; } = [];

    public Task<Answer> AnswerAsync(TenantContext context, string question, CancellationToken cancellationToken = default)
    {
        Asked.Add((context.Tenant.Value, question));
        return Task.FromResult(answers.TryGetValue(question, out var text)
            ? new Answer
            {
                Question = question,
                Text = text,
                Mode = AnswerMode.Extractive,
                Citations = [new Citation { Number = 1, DocumentTitle = "Tests", DocumentId = Guid.Empty, ChunkOrdinal = 0, ChunkId = 1, Passage = text }],
            }
            : new Answer { Question = question, Text = string.Empty, Mode = AnswerMode.None, Citations = [], NoAnswerReason = "nothing relevant" });
    }
}
