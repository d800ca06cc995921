using System.Text;
using TenantRag.Rag.Ingestion.Pipeline;

namespace TenantRag.Lab;

/// <summary>
/// The texts of <c>bench fleet</c>: a few small documents, the same in every tenant (so each is one chunk, and a batch of
/// tenants ingesting at once embeds each distinct text once), the queries searched, and the synthetic passages of the
/// big tenants.
/// </summary>
internal static class BenchFleetCorpus
{
    private static readonly string[] Documents =
    [
        "# Vacation\n\nEvery employee gets 25 vacation days a year. Unused days carry over until the end of March, and a manager approves requests longer than two weeks.\n",
        "# Expenses\n\nExpenses over 500 euros need the approval of a team lead before they are paid. Receipts are uploaded within thirty days of the purchase.\n",
        "# Security\n\nLaptops lock after five minutes without use. Passwords are kept in the company vault, and lost devices are reported to the help desk at once.\n",
        "# Travel\n\nTrain travel is preferred for trips under four hours. Flights are booked through the travel desk, in economy class unless the trip is longer than eight hours.\n",
        "# Onboarding\n\nNew colleagues get a laptop, a badge and a buddy on their first day. The onboarding checklist lists the trainings to finish in the first month.\n",
        "# Remote work\n\nEveryone may work from home up to three days a week. Core hours are from ten to three, and the team calendar shows who is in the office.\n",
        "# Equipment\n\nA second screen, a headset and a chair are ordered through the equipment portal. Broken equipment is swapped at the help desk within a day.\n",
        "# Learning\n\nEach employee has a learning budget of 1,500 euros a year for courses, books and conferences, approved by the team lead.\n",
    ];

    /// <summary>Searches sent by the workload (they repeat, as a tenant's users' questions do).</summary>
    public static readonly IReadOnlyList<string> Queries =
    [
        "How many vacation days do we get?", "Who approves expenses?", "When do laptops lock?", "How do I book a flight?",
        "What does a new colleague get on the first day?", "How many days can I work from home?", "Where do I order a second screen?",
        "How large is the learning budget?", "Do unused vacation days carry over?", "What are the core hours?",
        "How long do I have to upload receipts?", "What happens when a device is lost?", "Is train travel preferred?",
        "Who approves the learning budget?", "Where is broken equipment swapped?", "What is on the onboarding checklist?",
    ];

    /// <summary>Most documents a small tenant can be given.</summary>
    public static int MaxDocuments => Documents.Length;

    /// <summary>The first <paramref name="count"/> documents, as files to ingest.</summary>
    public static List<IngestionInput> Inputs(int count) =>
        [.. Documents.Take(count).Select((text, i) => IngestionInput.FromBytes($"policy-{i + 1}.md", Encoding.UTF8.GetBytes(text), source: $"bench-fleet:policy-{i + 1}"))];

    /// <summary>Bytes of the first <paramref name="count"/> documents.</summary>
    public static long Bytes(int count) => Documents.Take(count).Sum(d => (long)Encoding.UTF8.GetByteCount(d));

    private static readonly string[] Words =
    [
        "ledger", "invoice", "harbour", "walrus", "glacier", "orchard", "lantern", "compass", "meadow", "falcon",
        "quarry", "tundra", "saffron", "beacon", "canyon", "pepper", "violet", "marble", "timber", "copper",
        "delta", "ember", "fjord", "granite", "hollow", "island", "jasper", "kettle", "lagoon", "mosaic",
    ];

    /// <summary>The text of synthetic passage <paramref name="index"/> of a big tenant: varied words, so its term index is not trivial.</summary>
    public static string Passage(int index)
    {
        var text = new StringBuilder(160);
        text.Append("Passage ").Append(index).Append(':');
        var state = (uint)(index * 2654435761u) | 1;
        for (var w = 0; w < 18; w++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            text.Append(' ').Append(Words[state % (uint)Words.Length]);
        }

        return text.Append('.').ToString();
    }
}
