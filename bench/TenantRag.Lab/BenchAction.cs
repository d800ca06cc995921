using System.CommandLine;

namespace TenantRag.Lab;

/// <summary>
/// Turns a bench command's body into the action its command runs, the way the hosting command line runs all of its
/// commands: it builds the <see cref="BenchContext"/>, and turns known errors into one line and an exit code.
/// </summary>
/// <param name="body">The command's work; returns the exit code.</param>
public delegate Func<ParseResult, CancellationToken, Task<int>> BenchAction(Func<BenchContext, Task<int>> body);
