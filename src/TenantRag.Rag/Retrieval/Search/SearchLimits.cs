namespace TenantRag.Rag.Retrieval.Search;

/// <summary>What a query and a result count may be; violations are <see cref="UsageException"/>s that say what to change.</summary>
public static class SearchLimits
{
    /// <summary>The longest query or question accepted, in characters.</summary>
    public const int MaxQueryLength = 2000;

    /// <summary>The most results one search returns.</summary>
    public const int MaxResults = 100;

    /// <summary>Checks a query: not empty, at most <see cref="MaxQueryLength"/> characters, no control characters but tab and line breaks.</summary>
    /// <returns>The query without surrounding whitespace.</returns>
    public static string ValidateQuery(string? query, string what = "query")
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            throw new UsageException($"the {what} is empty: give some words to search for");
        }

        var trimmed = query.Trim();
        if (trimmed.Length > MaxQueryLength)
        {
            throw new UsageException($"the {what} is {trimmed.Length} characters long: shorten it to at most {MaxQueryLength}");
        }

        UsageException.ThrowIfControlCharacters(trimmed, what);
        return trimmed;
    }

    /// <summary>Checks a result count: 1 to <see cref="MaxResults"/>.</summary>
    public static int ValidateCount(int k)
    {
        if (k is < 1 or > MaxResults)
        {
            throw new UsageException($"k must be between 1 and {MaxResults}, not {k}");
        }

        return k;
    }
}
