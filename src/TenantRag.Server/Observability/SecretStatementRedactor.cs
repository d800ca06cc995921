using System.Diagnostics;
using OpenTelemetry;
using TenantRag.Postgres.Installation;

namespace TenantRag.Server.Observability;

/// <summary>
/// Before spans are exported: the text of a statement carrying a password (<c>CREATE ROLE ... PASSWORD '...'</c>, which
/// takes no parameters) is replaced. The pools of the registry do not trace such statements at all; this covers the
/// connections that bootstrap opens of its own.
/// </summary>
internal sealed class SecretStatementRedactor : BaseProcessor<Activity>
{
    // The statement attribute of current semantic conventions, and the one before it.
    private static readonly string[] StatementTags = ["db.query.text", "db.statement"];

    public override void OnEnd(Activity data)
    {
        foreach (var tag in StatementTags)
        {
            if (SecretStatements.Carries(data.GetTagItem(tag) as string))
            {
                data.SetTag(tag, SecretStatements.Redacted);
            }
        }
    }
}
