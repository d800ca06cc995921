using System.Text;
using TenantRag.Rag.Retrieval;

namespace TenantRag.Rag.Tests.Retrieval;

/// <summary>A full-text index's terms in byte order: every term found by binary search, nothing else, and bad bytes refused.</summary>
public sealed class SortedTermsTests
{
    [Fact]
    public void Sort_AnyTerms_FindsEachUnderItsNewIdAndNothingElse()
    {
        string[] terms = ["zebra", "apple", "äpfel", "日本", "a", new string('x', 300), "b\U0001F600", "b\uFFFD", "ab"];

        var sorted = SortedTerms.Sort(terms, out var idOf);

        Assert.Equal(terms.Length, sorted.Count);
        Assert.Equal(terms.Length, idOf.Distinct().Count());
        for (var i = 0; i < terms.Length; i++)
        {
            Assert.Equal(idOf[i], sorted.IndexOf(terms[i]));
        }

        // In UTF-8 byte order: the emoji (F0 ...) after U+FFFD (EF BF BD), although UTF-16 puts its surrogate first.
        Assert.True(sorted.IndexOf("b\U0001F600") > sorted.IndexOf("b\uFFFD"));
        foreach (var absent in new[] { "", "A", "appl", "apples", "zebras", "日", new string('x', 299), "c" })
        {
            Assert.Equal(-1, sorted.IndexOf(absent));
        }

        var copy = SortedTerms.Read(sorted.Utf8.ToArray(), sorted.Starts.ToArray());
        Assert.All(terms, t => Assert.Equal(sorted.IndexOf(t), copy.IndexOf(t)));
    }

    [Fact]
    public void Read_NotSortedDistinctAndNonEmpty_ThrowsInvalidData()
    {
        var bytes = Encoding.UTF8.GetBytes("abc");

        SortedTerms.Read(bytes, [0, 1, 2, 3]);
        SortedTerms.Read([], [0]);
        Assert.Throws<InvalidDataException>(() => SortedTerms.Read(Encoding.UTF8.GetBytes("bac"), [0, 1, 2, 3]));
        Assert.Throws<InvalidDataException>(() => SortedTerms.Read(Encoding.UTF8.GetBytes("aab"), [0, 1, 2, 3]));
        Assert.Throws<InvalidDataException>(() => SortedTerms.Read(bytes, [0, 1, 1, 3]));
        Assert.Throws<InvalidDataException>(() => SortedTerms.Read(bytes, [0, 5, 2, 3]));
        Assert.Throws<InvalidDataException>(() => SortedTerms.Read(bytes, [0, 1, 2]));
        Assert.Throws<InvalidDataException>(() => SortedTerms.Read(bytes, [1, 2, 3]));
        Assert.Throws<InvalidDataException>(() => SortedTerms.Read(bytes, []));
    }

    [Fact]
    public void Sort_TermsOfTheSameBytes_Throws()
    {
        // Two lone surrogates both become U+FFFD: the database never gives such terms, but the index must not merge them.
        Assert.Throws<ArgumentException>(() => SortedTerms.Sort(["a\uD800", "a\uDC00"], out _));
    }
}
