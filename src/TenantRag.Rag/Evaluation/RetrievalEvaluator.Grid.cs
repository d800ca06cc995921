namespace TenantRag.Rag.Evaluation;

public sealed partial class RetrievalEvaluator
{
    /// <summary>Scores every setting of a fusion grid on each query, as the single run scores its one setting.</summary>
    private sealed class GridScores(IReadOnlyList<IReadOnlyDictionary<string, double>> settings, bool questions)
    {
        private readonly List<QueryEvaluation>[] _scored = [.. settings.Select(_ => new List<QueryEvaluation>())];
        private readonly int[] _top3 = new int[settings.Count];

        public void Add(BeirQuery query, string tenant, IReadOnlyList<RetrievedVariant> variants, IReadOnlyDictionary<string, int> judgements, AnswerKey? key)
        {
            if (variants.Count != settings.Count)
            {
                throw new InvalidOperationException($"the retriever returned {variants.Count} settings for query {query.Id}, not the {settings.Count} of the first query");
            }

            for (var i = 0; i < variants.Count; i++)
            {
                var scored = QueryEvaluation.Score(query.Id, tenant, variants[i].DocumentIds, judgements, latencyMs: 0);
                _scored[i].Add(scored);
                _top3[i] += key is not null && QuestionResult.Of(query, key, scored, answer: null, answerMs: null).Top3 ? 1 : 0;
            }
        }

        public List<FusionGridPoint> Points() => [.. settings.Select((setting, i) =>
        {
            var quality = RetrievalQuality.Of(_scored[i]);
            return new FusionGridPoint
            {
                Settings = setting,
                NdcgAt10 = Math.Round(quality.NdcgAt10, 4),
                RecallAt10 = Math.Round(quality.RecallAt10, 4),
                MrrAt10 = Math.Round(quality.MrrAt10, 4),
                Top3 = questions && quality.Queries > 0 ? Math.Round((double)_top3[i] / quality.Queries, 4) : null,
            };
        })];
    }
}
