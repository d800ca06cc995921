using TenantRag.Testing;

[assembly: AssemblyFixture(typeof(PostgresServer))]
