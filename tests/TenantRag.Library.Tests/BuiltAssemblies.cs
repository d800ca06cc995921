using System.Reflection;

namespace TenantRag.Library.Tests;

/// <summary>Where this build put the command line and the sample app (recorded by the project file).</summary>
internal static class BuiltAssemblies
{
    public static string CommandLine => Find("tenantrag");

    public static string Sample => Find("TenantRag.Sample");

    private static string Find(string name) =>
        typeof(BuiltAssemblies).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == name)?.Value
        ?? throw new InvalidOperationException($"the test assembly does not record where {name}.dll is (see TenantRag.Library.Tests.csproj)");
}
