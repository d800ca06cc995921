using System.CommandLine;
using System.CommandLine.Parsing;

namespace TenantRag.Cli;

/// <summary>
/// What System.CommandLine reports, in the words of the command line: a bad number names the option and what it
/// takes ("--limit must be a whole number"), never a .NET type ("System.Int32"), and missing arguments are named
/// once, however many of them are missing.
/// </summary>
internal static class ParseErrors
{
    /// <summary>The distinct messages of <paramref name="parse"/>'s errors, in order.</summary>
    public static IReadOnlyList<string> Describe(ParseResult parse) =>
        [.. parse.Errors.Select(Describe).Distinct(StringComparer.Ordinal)];

    private static string Describe(ParseError error) => error.SymbolResult switch
    {
        OptionResult option when Kind(option.Option.ValueType) is { } kind =>
            $"{option.Option.Name} must be {kind}, not '{LastToken(option)}'",
        ArgumentResult argument when Kind(argument.Argument.ValueType) is { } kind =>
            $"<{argument.Argument.Name}> must be {kind}, not '{LastToken(argument)}'",
        CommandResult command when Missing(command) is { Count: > 0 } missing => Needs(command, missing),
        ArgumentResult { Tokens.Count: 0, Parent: CommandResult command } when Missing(command) is { Count: > 0 } missing => Needs(command, missing),
        _ => error.Message,
    };

    // Only values that fail to convert land on an option or argument of these types; other errors keep their words.
    private static string? Kind(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(double) => "a number",
        var t when t == typeof(bool) => "true or false",
        _ => null,
    };

    // Every missing argument of the command in one message: the errors of each of them then read the same, and print once.
    private static string Needs(CommandResult command, List<Argument> missing) =>
        $"'{command.Command.Name}' needs {string.Join(" and ", missing.Select(a => $"<{a.Name}>"))}";

    private static string LastToken(SymbolResult result) => UsageException.Echo(result.Tokens.Count > 0 ? result.Tokens[^1].Value : null);

    private static List<Argument> Missing(CommandResult command) =>
        [.. command.Command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && (command.GetResult(a)?.Tokens.Count ?? 0) == 0)];
}
