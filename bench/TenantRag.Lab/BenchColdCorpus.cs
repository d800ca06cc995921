using System.IO.Compression;
using System.Text;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>
/// Seeds a tenant with real English text quickly (for the full-text index: the Debian package documentation under
/// <c>/usr/share/doc</c>, cut into passages of about 150 words) with synthetic vectors (random unit vectors of the
/// query model's name and dimensions: embedding 10,000 chunks would take minutes, and the load cost does not depend on
/// the values). Written in the tenant's own sessions, 100 chunks per document and statement.
/// </summary>
internal static class BenchColdCorpus
{
    private const string DocRoot = "/usr/share/doc";
    private const int WordsPerPassage = 150;
    private const int ChunksPerDocument = 100;

    /// <summary>Up to <paramref name="count"/> passages of real text (repeated, numbered, if the documentation runs out).</summary>
    public static List<string> Passages(int count)
    {
        var passages = new List<string>(count);
        var words = new List<string>(WordsPerPassage);
        foreach (var file in TextFiles())
        {
            foreach (var word in ReadText(file).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                words.Add(word);
                if (words.Count == WordsPerPassage)
                {
                    passages.Add(string.Join(' ', words));
                    words.Clear();
                    if (passages.Count == count)
                    {
                        return passages;
                    }
                }
            }
        }

        if (passages.Count == 0)
        {
            throw new BenchFailedException($"no text found under {DocRoot} to seed the tenant with");
        }

        for (var i = 0; passages.Count < count; i++)
        {
            passages.Add($"{passages[i % passages.Count]} (copy {i / passages.Count + 1})");
        }

        return passages;
    }

    /// <summary>Stores <paramref name="passages"/> as the tenant's chunks, visible tenant-wide, with random unit vectors of <paramref name="model"/>.</summary>
    public static async Task FillAsync(TenantRagDatabase database, TenantContext context, IReadOnlyList<string> passages, EmbeddingModel model, CancellationToken ct)
    {
        var random = new Random(20_261_206);
        for (var done = 0; done < passages.Count; done += ChunksPerDocument)
        {
            var batch = passages.Skip(done).Take(ChunksPerDocument).ToArray();
            var vectors = batch.Select(_ => RandomUnitVector(random, model.Dimensions)).ToArray();
            await database.Sessions.WriteAsync(context, async (session, token) =>
            {
                await using var cmd = session.CreateCommand("""
                    WITH d AS (INSERT INTO public.documents (title, content_hash, byte_size) VALUES ($1, md5($1), $2) RETURNING id)
                    INSERT INTO public.chunks (document_id, ordinal, content, content_hash, embedding, embedding_model, embedding_dims)
                    SELECT d.id, c.n - 1, c.content, md5(c.content), c.embedding, $5, $6
                    FROM d, unnest($3::text[], $4::bytea[]) WITH ORDINALITY AS c(content, embedding, n)
                    """);
                cmd.Parameters.Add(new() { Value = $"Document {done / ChunksPerDocument:D5}" });
                cmd.Parameters.Add(new() { Value = (long)batch.Sum(p => Encoding.UTF8.GetByteCount(p)) });
                cmd.Parameters.Add(new() { Value = batch });
                cmd.Parameters.Add(new() { Value = vectors });
                cmd.Parameters.Add(new() { Value = model.Name });
                cmd.Parameters.Add(new() { Value = model.Dimensions });
                return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
    }

    private static byte[] RandomUnitVector(Random random, int dimensions)
    {
        var vector = new float[dimensions];
        double norm = 0;
        for (var i = 0; i < dimensions; i++)
        {
            // Box-Muller: a Gaussian direction is uniform on the sphere.
            vector[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            norm += vector[i] * vector[i];
        }

        var bytes = new byte[4 * dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), (float)(vector[i] / Math.Sqrt(norm)));
        }

        return bytes;
    }

    private static IEnumerable<string> TextFiles()
    {
        if (!Directory.Exists(DocRoot))
        {
            yield break;
        }

        var files = Directory.EnumerateFiles(DocRoot, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(f => Path.GetFileName(f) is var name && (name.StartsWith("README", StringComparison.Ordinal) || name.StartsWith("NEWS", StringComparison.Ordinal)
                || name.StartsWith("changelog", StringComparison.Ordinal) || name == "copyright" || name.EndsWith(".txt", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            yield return file;
        }
    }

    private static string ReadText(string file)
    {
        try
        {
            using var stream = File.OpenRead(file);
            using var text = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(stream, CompressionMode.Decompress) : (Stream)stream;
            using var reader = new StreamReader(text, Encoding.UTF8);
            var content = reader.ReadToEnd();
            return content.Contains('\0', StringComparison.Ordinal) ? string.Empty : content;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return string.Empty;
        }
    }
}
