using System.Globalization;

namespace TenantRag.Documents;

/// <summary>
/// Which page of the documents a caller may see: a filter on title or file name, how many, and where to go on from
/// (a cursor the server made for the previous page). Made only through <see cref="Create"/> or <see cref="Parse"/>,
/// which validate what came from outside; the cursor is checked when it is read (<see cref="UsageException"/> when it
/// is not one the server made).
/// </summary>
public sealed record DocumentListQuery
{
    /// <summary>Documents per page unless asked otherwise.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The most documents one page holds.</summary>
    public const int MaxLimit = 200;

    /// <summary>The longest filter, in characters: as long as a search query may be.</summary>
    public const int MaxFilterLength = 2000;

    /// <summary>Longer than any cursor the server makes: a longer one is refused before it is decoded.</summary>
    public const int MaxCursorLength = 256;

    private DocumentListQuery()
    {
    }

    /// <summary>Text the title or the file name must contain (without regard to case), or null for every document.</summary>
    public string? Filter { get; private init; }

    /// <summary>Documents per page, 1 to <see cref="MaxLimit"/>.</summary>
    public int Limit { get; private init; } = DefaultLimit;

    /// <summary>Where the page starts: the previous page's <see cref="DocumentPage.Next"/>, or null for the first page.</summary>
    public string? Cursor { get; private init; }

    /// <summary>The first page of every document, <see cref="DefaultLimit"/> at a time.</summary>
    public static DocumentListQuery First { get; } = new();

    /// <summary>A validated query. Empty text (a filter of only white space, an empty cursor) counts as none.</summary>
    /// <exception cref="UsageException">The filter is too long or holds control characters, the limit is out of range, or the cursor is too long.</exception>
    public static DocumentListQuery Create(string? filter = null, int? limit = null, string? cursor = null)
    {
        filter = filter?.Trim();
        if (filter is { Length: > MaxFilterLength })
        {
            throw new UsageException($"the filter is {filter.Length} characters long: shorten it to at most {MaxFilterLength}");
        }

        if (!string.IsNullOrEmpty(filter))
        {
            // Like search text: tab and line breaks pass (they just match nothing), NUL, ESC and the like do not.
            UsageException.ThrowIfControlCharacters(filter, "filter");
        }

        if (limit is < 1 or > MaxLimit)
        {
            throw new UsageException($"the limit must be from 1 to {MaxLimit}, not {limit}");
        }

        if (cursor is { Length: > MaxCursorLength })
        {
            throw InvalidCursor();
        }

        return new DocumentListQuery
        {
            Filter = string.IsNullOrEmpty(filter) ? null : filter,
            Limit = limit ?? DefaultLimit,
            Cursor = string.IsNullOrEmpty(cursor) ? null : cursor,
        };
    }

    /// <summary>A validated query from text (an HTTP query string): the limit must be a plain whole number.</summary>
    /// <exception cref="UsageException">As <see cref="Create"/>, or the limit is not a whole number.</exception>
    public static DocumentListQuery Parse(string? filter, string? limit, string? cursor)
    {
        int? count = null;
        if (!string.IsNullOrEmpty(limit))
        {
            count = int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new UsageException($"the limit must be a whole number from 1 to {MaxLimit}, not '{UsageException.Echo(limit)}'");
        }

        return Create(filter, count, cursor);
    }

    /// <summary>The error for a cursor the server did not make (never says why: a forger learns nothing from it).</summary>
    public static UsageException InvalidCursor() =>
        new("the cursor is not one this server gave out: start the list again without it, and pass each page's 'next' as it is");
}
