namespace TenantRag.Benchmarks;

/// <summary>Seeded, repeatable inputs for the index benchmarks: unit vectors, and words drawn from a Zipf law.</summary>
internal static class SyntheticData
{
    /// <summary>Searching users: a fifth of the rows is private to one of them.</summary>
    public const int Users = 50;

    /// <summary>The owner of <paramref name="row"/>.</summary>
    public static string Owner(int row) => "user-" + (row % Users);

    /// <summary>Whether <paramref name="row"/> is private to its owner (every fifth row).</summary>
    public static bool IsPrivate(int row) => row % 5 == 0;

    /// <summary>Fills <paramref name="vector"/> with a random vector of length 1.</summary>
    public static void FillUnit(Random random, float[] vector)
    {
        double sum = 0;
        for (var d = 0; d < vector.Length; d++)
        {
            var value = (random.NextDouble() * 2) - 1;
            vector[d] = (float)value;
            sum += value * value;
        }

        var norm = (float)Math.Sqrt(sum);
        for (var d = 0; d < vector.Length; d++)
        {
            vector[d] /= norm;
        }
    }

    /// <summary>
    /// The cumulative distribution of a Zipf law over <paramref name="words"/> ranks (exponent
    /// <paramref name="exponent"/>): word frequencies in text roughly follow one, stop words already removed.
    /// </summary>
    public static double[] ZipfCumulative(int words, double exponent)
    {
        var cumulative = new double[words];
        double sum = 0;
        for (var rank = 0; rank < words; rank++)
        {
            sum += 1 / Math.Pow(rank + 1, exponent);
            cumulative[rank] = sum;
        }

        for (var rank = 0; rank < words; rank++)
        {
            cumulative[rank] /= sum;
        }

        return cumulative;
    }

    /// <summary>A rank (0 = most frequent) drawn from <paramref name="cumulative"/>.</summary>
    public static int Draw(Random random, double[] cumulative)
    {
        var index = Array.BinarySearch(cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, cumulative.Length - 1);
    }
}
