namespace TenantRag.Rag.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Framework_Runs() => Assert.Equal(4, 2 + 2);
}
