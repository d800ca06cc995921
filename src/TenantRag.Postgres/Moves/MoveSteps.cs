namespace TenantRag.Postgres.Moves;

/// <summary>The steps of a move, in order (<c>Catalog/006_tenant_moves.sql</c> says what each means).</summary>
public static class MoveSteps
{
    /// <summary>The target database (and role) are being made.</summary>
    public const string Preparing = "preparing";

    /// <summary>Publication, slot and subscription exist: initial copy, then catch-up.</summary>
    public const string Copying = "copying";

    /// <summary>The source refuses the tenant's writes; the target applies the last of them.</summary>
    public const string Fenced = "fenced";

    /// <summary>The catalog names the target; what is left at the source is being removed.</summary>
    public const string Switched = "switched";

    /// <summary>Finished.</summary>
    public const string Done = "done";

    /// <summary>Rolled back: the tenant stayed where it was.</summary>
    public const string Aborted = "aborted";

    /// <summary>The condition on <c>tenantrag.tenant_moves</c> rows of the moves still in progress (neither done nor aborted).</summary>
    public const string InProgressSql = "step NOT IN ('done', 'aborted')";

    /// <summary>Every TenantRag move's publication, slot and subscription is named this prefix and the move's id.</summary>
    public const string ObjectPrefix = "tenantrag_move_";

    /// <summary>The steps after which <c>--pause-after</c> may stop a move (fault drills).</summary>
    public static readonly IReadOnlyList<string> Pausable = [Preparing, Copying, Fenced, Switched];
}
