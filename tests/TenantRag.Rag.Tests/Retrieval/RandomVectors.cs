namespace TenantRag.Rag.Tests.Retrieval;

/// <summary>Seeded random unit vectors, so failures reproduce.</summary>
internal static class RandomVectors
{
    public static float[][] CreateUnit(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        var vectors = new float[count][];
        for (var i = 0; i < count; i++)
        {
            vectors[i] = CreateUnit(random, dimensions);
        }

        return vectors;
    }

    public static float[] CreateUnit(Random random, int dimensions)
    {
        var vector = new float[dimensions];
        double sumOfSquares = 0;
        for (var d = 0; d < dimensions; d++)
        {
            // Box-Muller: Gaussian components give directions uniform on the sphere.
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            vector[d] = (float)gaussian;
            sumOfSquares += gaussian * gaussian;
        }

        var norm = (float)Math.Sqrt(sumOfSquares);
        for (var d = 0; d < dimensions; d++)
        {
            vector[d] /= norm;
        }

        return vector;
    }
}
