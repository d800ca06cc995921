namespace TenantRag; internal static class Placeholder {}
