namespace TenantRag.Rag.Evaluation;

/// <summary>
/// An evaluation set that cannot be used: a missing directory or file, or a malformed line (named with its file and
/// line number). Nothing was changed; the command line exits with 2.
/// </summary>
public sealed class EvaluationDataException(string message) : UsageException(message)
{
    /// <summary>An error about line <paramref name="line"/> of <paramref name="path"/>.</summary>
    public static EvaluationDataException AtLine(string path, int line, string problem) =>
        new($"{Path.GetFileName(path)} line {line}: {problem} (in {path})");
}
