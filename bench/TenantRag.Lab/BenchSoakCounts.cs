using System.Collections.Concurrent;
using System.Globalization;

namespace TenantRag.Lab;

/// <summary>Every answer of the soak, by operation and status ("timeout" and the like when there was no answer).</summary>
internal sealed class BenchSoakCounts
{
    private readonly ConcurrentDictionary<(string Operation, string Status), int> _counts = new();
    private long _unexpected;

    /// <summary>Counts one answer; <paramref name="expected"/> is false for a status the operation must never get.</summary>
    public void Record(string operation, string status, bool expected)
    {
        _counts.AddOrUpdate((operation, status), 1, (_, n) => n + 1);
        if (!expected)
        {
            Interlocked.Increment(ref _unexpected);
        }
    }

    /// <summary>Answers whose status the operation must never get (5xx, unexpected 4xx, no answer at all).</summary>
    public long Unexpected => Interlocked.Read(ref _unexpected);

    /// <summary>All answers.</summary>
    public int Total => _counts.Values.Sum();

    /// <summary>Answers with a status in [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public int Status(int low, int high) => _counts.Where(c => Code(c.Key.Status) is { } code && code >= low && code <= high).Sum(c => c.Value);

    /// <summary>Requests that got no HTTP answer (timeouts, refused connections).</summary>
    public int NoAnswer => _counts.Where(c => Code(c.Key.Status) is null).Sum(c => c.Value);

    /// <summary>Per operation: total and the count of each status, sorted.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ByOperation() =>
        _counts.GroupBy(c => c.Key.Operation).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(
            g => g.Key,
            g => (IReadOnlyDictionary<string, int>)g.OrderBy(c => c.Key.Status, StringComparer.Ordinal).ToDictionary(c => c.Key.Status, c => c.Value),
            StringComparer.Ordinal);

    private static int? Code(string status) => int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;
}
