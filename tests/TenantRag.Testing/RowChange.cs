namespace TenantRag.Testing;

/// <summary>
/// One row of a <see cref="TenantRowsSnapshot"/> that differs from an earlier one: in <paramref name="Tenant"/>'s
/// <paramref name="Table"/> (or its <c>catalog</c> entry), labelled <paramref name="Row"/> (a readable key and the
/// row's md5). A changed row shows as one removed and one added.
/// </summary>
public sealed record RowChange(string Tenant, string Table, string Row, bool Added = false)
{
    /// <inheritdoc />
    public override string ToString() => $"{(Added ? "+" : "-")} {Tenant} {Table} {Row}";
}
