namespace TenantRag.Rag.Tests;

/// <summary>Test classes that measure the process's allocations, so they run after the others, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "measured alone";
}
