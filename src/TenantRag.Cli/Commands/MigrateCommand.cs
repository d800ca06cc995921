using System.CommandLine;
using System.Globalization;
using TenantRag.Postgres.Fleet;
using TenantRag.Postgres.Installation;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag migrate [--parallel N]</c>: the tenant-data migrations on every database of every server, a few at a
/// time, resumable, with a line per database (issue 14 item 2); exit 1 when any database failed.
/// </summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var parallel = new Option<int>("--parallel")
        {
            Description = $"How many databases to migrate at once (1-{FleetMigrator.MaxParallelism})",
            DefaultValueFactory = _ => FleetMigrator.DefaultParallelism,
        };
        var migrate = new Command("migrate", "Bring every database of every server (templates, shared and dedicated databases) to the newest schema version, a few at a time; run it again to continue after a failure") { parallel };
        migrate.SetAction(CliContext.Action(cli => RunAsync(cli, cli.Parse.GetValue(parallel))));
        return migrate;
    }

    private static async Task<int> RunAsync(CliContext cli, int parallel)
    {
        // Before anything is opened: bad input changes nothing.
        FleetMigrator.CheckParallelism(parallel);
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var report = await new FleetMigrator(host.Operator).MigrateAsync(parallel, cli.Json ? null : Print, cli.CancellationToken).ConfigureAwait(false);
        var (migrated, current, failed) = (Count(DatabaseMigration.Migrated), Count(DatabaseMigration.Current), Count(DatabaseMigration.Failed));
        var servers = report.Select(d => d.Server).Distinct(StringComparer.Ordinal).Count();
        if (cli.Json)
        {
            CliContext.WriteJson(new { newestVersion = Installer.TenantVersion, servers, migrated, current, failed, databases = report });
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"migrate: {report.Count} databases on {servers} servers, newest version {Installer.TenantVersion}: {migrated} migrated, {current} current, {failed} failed{(failed > 0 ? " (run 'tenantrag migrate' again once fixed: it continues with those)" : string.Empty)}"));
        }

        return failed == 0 ? 0 : 1;

        int Count(string status) => report.Count(d => d.Status == status);
    }

    // One line per database as it is done: server, database, kind, versions, status (and why it failed).
    private static void Print(DatabaseMigration d) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{d.Server,-16} {d.Database,-40} {d.Kind,-9} {Version(d.VersionBefore)} -> {Version(d.VersionAfter)}  {d.Status}{(d.Error is null ? string.Empty : ": " + d.Error)}"));

    private static string Version(int? version) => version?.ToString(CultureInfo.InvariantCulture) ?? "?";
}
