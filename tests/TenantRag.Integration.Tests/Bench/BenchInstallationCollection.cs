namespace TenantRag.Integration.Tests.Bench;

/// <summary>
/// The command-line benches (<c>bench api</c>, <c>bench soak</c>) share the <c>tenantrag_bench</c> installation, and each
/// run from its own home sets the installation's role passwords from that home's secrets: run at once, one would lock
/// the other out (28P01). Tests in this collection run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BenchInstallationCollection
{
    public const string Name = "tenantrag_bench installation";
}
