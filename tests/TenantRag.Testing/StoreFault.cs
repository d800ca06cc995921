using System.Text.RegularExpressions;

namespace TenantRag.Testing;

/// <summary>
/// A real PostgreSQL failure on storing, injected with admin SQL: a trigger on <c>chunks</c> that raises
/// ("injected failure while inserting chunk N") when an inserted chunk holds a marker word. The store's transaction
/// rolls back, as with any failed store; chunks without the marker are stored as usual.
/// </summary>
public static partial class StoreFault
{
    /// <summary>Installs the trigger in <paramref name="database"/> (idempotent).</summary>
    /// <param name="server">The server, reached as its superuser.</param>
    /// <param name="database">A tenant's database (the shared one, or a dedicated tenant's).</param>
    /// <param name="marker">Capital letters only: chunks holding it fail.</param>
    public static Task InjectAsync(PostgresServer server, string database, string marker)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!Marker().IsMatch(marker))
        {
            throw new ArgumentException($"marker '{marker}' must be capital letters only", nameof(marker));
        }

        return server.ExecuteAsync(database, $$"""
            CREATE OR REPLACE FUNCTION public.store_fault_{{marker.ToLowerInvariant()}}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.content LIKE '%{{marker}}%' THEN
                    RAISE EXCEPTION 'injected failure while inserting chunk %', NEW.ordinal;
                END IF;
                RETURN NEW;
            END $$;
            CREATE OR REPLACE TRIGGER store_fault_{{marker.ToLowerInvariant()}} BEFORE INSERT ON public.chunks
                FOR EACH ROW EXECUTE FUNCTION public.store_fault_{{marker.ToLowerInvariant()}}();
            """);
    }

    /// <summary>Removes the trigger of <paramref name="marker"/> from <paramref name="database"/>.</summary>
    public static Task RemoveAsync(PostgresServer server, string database, string marker)
    {
        ArgumentNullException.ThrowIfNull(server);
        return Marker().IsMatch(marker)
            ? server.ExecuteAsync(database, $"DROP TRIGGER IF EXISTS store_fault_{marker.ToLowerInvariant()} ON public.chunks")
            : throw new ArgumentException($"marker '{marker}' must be capital letters only", nameof(marker));
    }

    [GeneratedRegex("^[A-Z]{3,30}$")]
    private static partial Regex Marker();
}
