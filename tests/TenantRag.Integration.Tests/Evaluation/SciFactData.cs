namespace TenantRag.Integration.Tests.Evaluation;

/// <summary>
/// Finds SciFact in BEIR format at <c>../shared/eval/scifact</c> beside the repository, if it is there. It is not part
/// of the repository: docs/BENCHMARKS.md says where to get it.
/// </summary>
internal static class SciFactData
{
    public static string? Directory { get; } = Find();

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TenantRag.slnx")))
            {
                var path = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "eval", "scifact"));
                return System.IO.Directory.Exists(path) ? path : null;
            }
        }

        return null;
    }
}
