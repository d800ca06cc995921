namespace TenantRag.Rag; internal static class Placeholder {}
