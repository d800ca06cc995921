namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>A handful of short documents on unrelated topics, for tests with the real model.</summary>
internal static class SmallLibrary
{
    public static readonly (string Title, string Text)[] Documents =
    [
        ("Pump faults", "Error E4471 means the coolant pump lost pressure. Check the inlet valve before restarting the unit."),
        ("Quiet afternoon", "The feline dozed on the rug all afternoon while rain drummed on the windows."),
        ("Mitochondria", "Mitochondria produce most of the chemical energy that powers a cell. They convert nutrients into ATP through respiration."),
        ("Volcanoes", "Volcanic eruptions release ash and lava. Magma rises through cracks in the crust when pressure builds underground."),
        ("Tides", "Ocean tides follow the pull of the moon. Coastal towns publish tide tables for fishermen."),
        ("Compilers", "A compiler translates source code into machine instructions. Optimisation passes remove dead code and inline small functions."),
        ("Bicycles", "Regular chain lubrication keeps a bicycle drivetrain quiet. Tyre pressure affects rolling resistance."),
        ("Glaciers", "Glaciers carve valleys as they slowly move downhill. Melting ice raises sea levels."),
        ("Photosynthesis", "Plants turn sunlight, water and carbon dioxide into sugar and oxygen in their leaves."),
        ("Trains", "High-speed trains run on dedicated tracks with gentle curves. Signalling systems keep them safely apart."),
    ];
}
