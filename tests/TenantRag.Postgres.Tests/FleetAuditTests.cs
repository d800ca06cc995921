using System.Security.Cryptography;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag audit</c> across the fleet (issue 14 item 2), through the real command line over two real clusters that
/// run with <c>wal_level = logical</c> (<see cref="ServerCommandTests.Fleet"/>): the isolation rules on every server's
/// databases, each finding naming its server, and the replication objects a move leaves behind (publication, slot,
/// subscription, table-synchronisation slot), made here by hand, reported with the SQL that removes them; another
/// inactive logical slot is a warning with the WAL it holds.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class FleetAuditTests(ServerCommandTests.Fleet fleet) : IClassFixture<ServerCommandTests.Fleet>
{
    private const string Catalog = "tenantrag_catalog";
    private const string Shared = "tenantrag_shared";

    [Fact]
    public async Task Audit_BrokenIsolationOnSecondServer_IsReportedNamingTheServer()
    {
        await fleet.EnsureSecondAddedAsync();
        var shared = await CreateAsync("shared");
        var dedicated = await CreateAsync("dedicated");
        try
        {
            var clean = await AuditAsync(0);
            await fleet.ExecuteAsync(fleet.SecondUrl, Shared, "ALTER TABLE public.documents NO FORCE ROW LEVEL SECURITY");
            await fleet.ExecuteAsync(fleet.SecondUrl, dedicated, "CREATE POLICY leak ON public.documents FOR SELECT TO authenticated USING (true)");
            CliRun broken, text;
            try
            {
                broken = await AuditAsync(1);
                text = await RunAsync(1, "audit");
            }
            finally
            {
                await fleet.ExecuteAsync(fleet.SecondUrl, Shared, "ALTER TABLE public.documents FORCE ROW LEVEL SECURITY");
                await fleet.ExecuteAsync(fleet.SecondUrl, dedicated, "DROP POLICY IF EXISTS leak ON public.documents");
            }

            var restored = await AuditAsync(0);

            Assert.Empty(Findings(clean));
            var findings = Findings(broken);
            Assert.Contains(findings, f => f is { Rule: "rls-not-forced", Server: "second", Object: $"{Shared}.public.documents" });
            Assert.Contains(findings, f => f.Rule == "policy-always-true" && f.Server == "second" && f.Object.StartsWith($"{dedicated}.public.documents", StringComparison.Ordinal));
            Assert.DoesNotContain(findings, f => f.Server != "second");
            Assert.Matches(@"rls-not-forced .*tenantrag_shared\.public\.documents.*second", text.StdOut);
            Assert.Empty(Findings(restored));
        }
        finally
        {
            await RunAsync(0, "tenant", "delete", shared, "--yes");
            await RunAsync(0, "tenant", "delete", await SlugOfAsync(dedicated), "--yes");
        }
    }

    [Fact]
    public async Task Audit_OrphanedReplicationObjects_AreReportedWithTheirFixAndCleanAfterRemoval()
    {
        await fleet.EnsureSecondAddedAsync();
        var orphan = "tenantrag_move_" + MoveId();
        var live = "tenantrag_move_" + MoveId();
        var foreign = "audit_cdc_" + Slugs.RandomLetters(6);
        string? syncSlot = null;
        try
        {
            // A move in progress owns `live`; nothing owns `orphan`.
            await fleet.ExecuteAsync(fleet.MainUrl, Catalog, $"""
                INSERT INTO tenantrag.tenant_moves (id, tenant_id, slug, source_server, source_database, source_mode, target_server, target_database, target_mode, step)
                VALUES ('{live[^12..]}', 'audit-move', 'audit-move', 'second', '{Shared}', 'shared', 'primary', '{Shared}', 'shared', 'copying')
                """);

            // What a move makes: the publication and the slot at the source (the second server's shared database), the
            // subscription at the target (the primary's shared database; not connected, so it copies nothing).
            foreach (var name in new[] { orphan, live })
            {
                await fleet.ExecuteAsync(fleet.SecondUrl, Shared, $"CREATE PUBLICATION {name} FOR TABLE public.documents");
                await fleet.ScalarAsync<string>(fleet.SecondUrl, "SELECT slot_name::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", Shared, name);
            }

            await fleet.ExecuteAsync(fleet.MainUrl, Shared,
                $"CREATE SUBSCRIPTION {orphan} CONNECTION 'host=127.0.0.1 port=1 dbname=nowhere' PUBLICATION {orphan} WITH (connect = false)");

            // The table-synchronisation slot PostgreSQL makes at the source for the subscription's first copy of a
            // table: pg_<subscription oid>_sync_<table oid>_<system identifier of the subscriber>.
            var subscription = await fleet.ScalarAsync<uint>(fleet.MainUrl, "SELECT oid FROM pg_subscription WHERE subname = $1", Shared, orphan);
            var table = await fleet.ScalarAsync<uint>(fleet.SecondUrl, "SELECT 'public.documents'::regclass::oid", Shared);
            var subscriber = await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT system_identifier::text FROM pg_control_system()");
            syncSlot = $"pg_{subscription}_sync_{table}_{subscriber}";
            await fleet.ScalarAsync<string>(fleet.SecondUrl, "SELECT slot_name::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", Shared, syncSlot);

            // Somebody else's slot, inactive, holding WAL written after it.
            await fleet.ScalarAsync<string>(fleet.SecondUrl, "SELECT slot_name::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", "postgres", foreign);
            await fleet.ExecuteAsync(fleet.SecondUrl, "postgres", "CREATE TABLE audit_wal AS SELECT g FROM generate_series(1, 20000) g; DROP TABLE audit_wal");

            var first = Findings(await AuditAsync(1));
            await fleet.ExecuteAsync(fleet.MainUrl, Catalog, $"UPDATE tenantrag.tenant_moves SET step = 'aborted' WHERE id = '{live[^12..]}'");
            var afterAbort = Findings(await AuditAsync(1));

            Assert.Equal(5, first.Count);
            var publication = Assert.Single(first, f => f.Rule == "orphaned-publication");
            Assert.Equal(("second", "error"), (publication.Server, publication.Severity));
            Assert.Contains(orphan, publication.Object, StringComparison.Ordinal);
            Assert.Contains($"DROP PUBLICATION \"{orphan}\"", publication.Fix, StringComparison.Ordinal);
            var slots = first.Where(f => f.Rule == "orphaned-replication-slot").ToList();
            Assert.Equal(new[] { orphan, syncSlot }.Order(StringComparer.Ordinal), slots.Select(s => s.Object.Split(' ')[^1]).Order(StringComparer.Ordinal));
            Assert.All(slots, s => Assert.Equal(("second", "error"), (s.Server, s.Severity)));
            Assert.All(slots, s => Assert.Contains("pg_drop_replication_slot", s.Fix, StringComparison.Ordinal));
            Assert.Contains(orphan, slots.Single(s => s.Object.EndsWith(syncSlot, StringComparison.Ordinal)).Message, StringComparison.Ordinal);
            var sub = Assert.Single(first, f => f.Rule == "orphaned-subscription");
            Assert.Equal(("primary", "error"), (sub.Server, sub.Severity));
            Assert.Contains($"DROP SUBSCRIPTION \"{orphan}\"", sub.Fix, StringComparison.Ordinal);
            var warning = Assert.Single(first, f => f.Rule == "inactive-replication-slot");
            Assert.Equal(("second", "warning"), (warning.Server, warning.Severity));
            Assert.Matches(@"retains \d+ (bytes|kB|MB) of WAL", warning.Message);
            Assert.DoesNotContain(first, f => f.Object.Contains(live, StringComparison.Ordinal) || f.Message.Contains(live, StringComparison.Ordinal));

            // Once its move is aborted, `live`'s publication and slot are orphans too.
            Assert.Equal(7, afterAbort.Count);
            Assert.Contains(afterAbort, f => f.Rule == "orphaned-publication" && f.Object.Contains(live, StringComparison.Ordinal));
            Assert.Contains(afterAbort, f => f.Rule == "orphaned-replication-slot" && f.Object.EndsWith(live, StringComparison.Ordinal));

            // Each fix, run where it says, removes its object: then only the warning is left (exit 0), then nothing.
            foreach (var finding in afterAbort.Where(f => f.Severity == "error"))
            {
                var (url, database) = finding.Rule switch
                {
                    "orphaned-subscription" => (fleet.MainUrl, Shared),
                    "orphaned-publication" => (fleet.SecondUrl, Shared),
                    _ => (fleet.SecondUrl, "postgres"),
                };
                await fleet.ExecuteAsync(url, database, finding.Fix);
            }

            var warned = await RunAsync(0, "audit");
            await fleet.ExecuteAsync(fleet.SecondUrl, "postgres", warning.Fix);
            var clean = await AuditAsync(0);

            Assert.Contains("warning", warned.StdOut, StringComparison.Ordinal);
            Assert.Contains(foreign, warned.StdOut, StringComparison.Ordinal);
            Assert.Empty(Findings(clean));
        }
        finally
        {
            await fleet.ExecuteAsync(fleet.MainUrl, Catalog, $"DELETE FROM tenantrag.tenant_moves WHERE id = '{live[^12..]}'");
            await fleet.ExecuteAsync(fleet.MainUrl, Shared, $"""
                DO $$ BEGIN
                    IF EXISTS (SELECT 1 FROM pg_subscription WHERE subname = '{orphan}') THEN
                        ALTER SUBSCRIPTION {orphan} DISABLE;
                        ALTER SUBSCRIPTION {orphan} SET (slot_name = NONE);
                    END IF;
                END $$
                """);
            await fleet.ExecuteAsync(fleet.MainUrl, Shared, $"DROP SUBSCRIPTION IF EXISTS {orphan}");
            await fleet.ExecuteAsync(fleet.SecondUrl, Shared, $"DROP PUBLICATION IF EXISTS {orphan}, {live}");
            await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name = ANY($1)", "postgres",
                new object[] { new[] { orphan, live, foreign, syncSlot ?? orphan } });
        }
    }

    [Fact]
    public async Task Audit_SecondServerPasswordUnavailable_SaysItsReplicationWasNotChecked()
    {
        await fleet.EnsureSecondAddedAsync();
        var file = Path.Combine(fleet.Cli.Home, "servers", "second.json");
        File.Move(file, file + ".away");
        CliRun run;
        try
        {
            run = await AuditAsync(1);
        }
        finally
        {
            File.Move(file + ".away", file);
        }

        var finding = Assert.Single(Findings(run));
        Assert.Equal(("server-not-audited", "second", "error"), (finding.Rule, finding.Server, finding.Severity));
        Assert.Contains(file, finding.Message, StringComparison.Ordinal);
        Assert.Empty(Findings(await AuditAsync(0)));
    }

    private static string MoveId() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 12);

    // A tenant on the second server: a shared one's slug, a dedicated one's database.
    private async Task<string> CreateAsync(string mode)
    {
        var slug = Slugs.UniqueText("audit");
        await RunAsync(0, "tenant", "create", slug, "--mode", mode, "--server", "second");
        return mode == "shared" ? slug : (await RunAsync(0, "tenant", "show", slug, "--json")).Json().GetProperty("database").GetString()!;
    }

    private Task<string> SlugOfAsync(string database) =>
        fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT slug FROM tenantrag.tenants WHERE database_name = $1", Catalog, database);

    private Task<CliRun> AuditAsync(int exitCode) => RunAsync(exitCode, "audit", "--json");

    private static List<Finding> Findings(CliRun run) =>
        [.. run.Json().GetProperty("findings").EnumerateArray().Select(f => new Finding(
            f.GetProperty("rule").GetString()!, f.GetProperty("server").GetString()!, f.GetProperty("severity").GetString()!,
            f.GetProperty("object").GetString()!, f.GetProperty("message").GetString()!, f.GetProperty("fix").GetString()!))];

    private Task<CliRun> RunAsync(int exitCode, params string[] args) => fleet.RunAsync(exitCode, args);

    private sealed record Finding(string Rule, string Server, string Severity, string Object, string Message, string Fix);
}
