using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Tests.Search;

public sealed class ChatEndpointOptionsTests
{
    [Fact]
    public void FromEnvironment_NoUrl_ReturnsNull()
    {
        Assert.Null(ChatEndpointOptions.FromEnvironment(_ => null));
    }

    [Fact]
    public void FromEnvironment_UrlModelAndKey_ReadsThem()
    {
        var variables = new Dictionary<string, string>
        {
            [ChatEndpointOptions.UrlVariable] = "https://api.example.test/v1",
            [ChatEndpointOptions.ModelVariable] = "small",
            [ChatEndpointOptions.ApiKeyVariable] = "secret",
        };

        var options = ChatEndpointOptions.FromEnvironment(variables.GetValueOrDefault)!;

        Assert.Equal(new Uri("https://api.example.test/v1/chat/completions"), options.CompletionsUri);
        Assert.Equal(("small", "secret"), (options.Model, options.ApiKey));
    }

    [Theory]
    [InlineData("not a url", null, "TENANTRAG_CHAT_URL")]
    [InlineData("ftp://host/v1", "m", "TENANTRAG_CHAT_URL")]
    [InlineData("http://127.0.0.1:8080/v1", null, "TENANTRAG_CHAT_MODEL")]
    public void FromEnvironment_BadSettings_ThrowsConfigurationExceptionNamingTheVariable(string url, string? model, string variable)
    {
        var variables = new Dictionary<string, string?> { [ChatEndpointOptions.UrlVariable] = url, [ChatEndpointOptions.ModelVariable] = model };

        var error = Assert.Throws<ConfigurationException>(() => ChatEndpointOptions.FromEnvironment(variables.GetValueOrDefault));

        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompletionsUri_AlreadyComplete_IsKept()
    {
        var options = new ChatEndpointOptions { Endpoint = new Uri("http://localhost:1234/v1/chat/completions"), Model = "m" };

        Assert.Equal(options.Endpoint, options.CompletionsUri);
    }
}
