using TenantRag.Testing;

// One PostgreSQL for the whole assembly; test classes keep apart by installation prefix.
[assembly: AssemblyFixture(typeof(PostgresServer))]

// Three test classes at a time on two cores: most of these tests wait (for command-line processes, replication, a
// move's catalog-cache wait), and with two at a time the cores stood idle a quarter of the run (833 s; 652 s with three,
// every test passing). Their waits are timeouts, never durations that must be met.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
