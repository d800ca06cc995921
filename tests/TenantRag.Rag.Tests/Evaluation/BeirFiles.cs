using TenantRag.Rag.Tests.Ingestion;

namespace TenantRag.Rag.Tests.Evaluation;

/// <summary>A small, valid BEIR-format directory (both splits and the tenant files) for loader and runner tests.</summary>
internal static class BeirFiles
{
    public const string Corpus = """
        {"_id": "d1", "title": "Vitamin D and bone", "text": "Vitamin D deficiency weakens bones."}
        {"_id": "d2", "title": "Statins", "text": "Statins lower cholesterol."}
        {"_id": 3, "title": "", "text": "Numeric ids keep their literal text."}

        {"_id": "d4", "title": "Sleep", "text": "Sleep loss impairs memory."}
        """;

    public static TempDirectory Write()
    {
        var dir = new TempDirectory();
        dir.Write("corpus.jsonl", Corpus);
        dir.Write("queries.jsonl", """
            {"_id": "q1", "text": "Does vitamin D deficiency weaken bones?"}
            {"_id": "q2", "text": "Do statins lower cholesterol?"}
            """);
        // BEIR keeps CRLF in its qrels.
        dir.Write("qrels.tsv", "query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq2\td2\t2\r\nq2\t3\t0\r\n");
        dir.Write("queries_train.jsonl", """{"_id": "t1", "text": "Does sleep loss impair memory?"}""" + "\n");
        dir.Write("qrels_train.tsv", "query-id\tcorpus-id\tscore\nt1\td4\t1\n");
        dir.Write("tenants.tsv", "doc-id\ttenant\nd1\ttenant-00\nd2\ttenant-01\n3\ttenant-01\nd4\ttenant-00\n");
        dir.Write("queries_tenant.tsv", "query-id\ttenant\nq1\ttenant-00\nq2\ttenant-01\n");
        dir.Write("queries_tenant_train.tsv", "query-id\ttenant\nt1\ttenant-00\n");
        return dir;
    }
}
