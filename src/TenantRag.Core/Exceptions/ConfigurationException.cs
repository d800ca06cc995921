namespace TenantRag;

/// <summary>A setting is missing or invalid; the message names the key or variable.</summary>
public sealed class ConfigurationException(string message, Exception? innerException = null)
    : TenantRagException(message, innerException);
