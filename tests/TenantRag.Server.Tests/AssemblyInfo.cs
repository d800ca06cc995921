using TenantRag.Testing;

// One PostgreSQL for the whole assembly; test classes keep apart by installation prefix.
[assembly: AssemblyFixture(typeof(PostgresServer))]
