using TenantRag.Postgres.Audit;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>The proof every audit break test makes: the break really leaks, the audit reports it, its own fix SQL stops it.</summary>
internal static class AuditDrill
{
    /// <summary>
    /// Before: <paramref name="leak"/> finds nothing (zero, or refused) and <paramref name="audit"/> is clean. Runs
    /// <paramref name="breakSql"/> in <paramref name="database"/> as the superuser; then the leak finds something and the
    /// audit reports exactly one <paramref name="rule"/> finding on an object ending with <paramref name="objectSuffix"/>.
    /// Runs that finding's fix SQL in <paramref name="database"/>: the leak finds nothing again and the finding is gone;
    /// finally the fixes of whatever else was reported bring the audit back to clean. Returns the finding.
    /// </summary>
    public static async Task<AuditFinding> ProveCatchAndFixAsync(PostgresServer server, string database, string breakSql, Func<Task<long?>> leak,
        Func<Task<IReadOnlyList<AuditFinding>>> audit, string rule, string objectSuffix)
    {
        Assert.True(await leak() is null or 0, "the principal already sees or writes another tenant's rows before the break");
        Assert.Empty(await audit());

        await server.ExecuteAsync(database, breakSql);
        var leaked = await leak();
        var broken = await audit();
        var finding = Assert.Single(broken, f => f.Rule == rule && f.Object.EndsWith(objectSuffix, StringComparison.Ordinal));
        await server.ExecuteAsync(database, finding.Fix);
        var afterFix = await leak();
        var fixedFindings = await audit();

        Assert.True(leaked > 0, $"the break did not leak, so it proves nothing: {breakSql}");
        Assert.False(string.IsNullOrWhiteSpace(finding.Message));
        Assert.True(afterFix is null or 0, $"the fix '{finding.Fix}' left the leak open");
        Assert.DoesNotContain(fixedFindings, f => f.Rule == rule && f.Object == finding.Object);
        await FixUntilCleanAsync(server, database, audit);
        return finding;
    }

    /// <summary>Applies every finding's fix SQL, a few rounds at most, and asserts the audit ends clean.</summary>
    public static async Task FixUntilCleanAsync(PostgresServer server, string database, Func<Task<IReadOnlyList<AuditFinding>>> audit)
    {
        for (var round = 0; round < 4; round++)
        {
            var findings = await audit();
            if (findings.Count == 0)
            {
                return;
            }

            foreach (var finding in findings)
            {
                await server.ExecuteAsync(database, finding.Fix);
            }
        }

        Assert.Empty(await audit());
    }
}
