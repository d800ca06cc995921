using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// The host's logging as a pool's <see cref="Npgsql.NpgsqlDataSource"/> gets it. Npgsql logs the text of every statement
/// it completes at Information (category <c>Npgsql.Command</c>); a server runs several a request, so they come one level
/// down, at Debug, where Npgsql logs the statements it starts. An admin pool's statements are not logged at all: they
/// include <c>CREATE ROLE ... PASSWORD '...'</c>. Parameter values are never logged (Npgsql's parameter logging stays off).
/// </summary>
/// <param name="host">The host's logger factory; it stays the host's (not disposed here).</param>
/// <param name="statements">Whether the pool's statements are logged (at Debug).</param>
internal sealed class PoolLoggerFactory(ILoggerFactory host, bool statements) : ILoggerFactory
{
    private const string CommandCategory = "Npgsql.Command";

    public ILogger CreateLogger(string categoryName) =>
        !string.Equals(categoryName, CommandCategory, StringComparison.Ordinal) ? host.CreateLogger(categoryName)
        : statements ? new DebugLogger(host.CreateLogger(categoryName))
        : NullLogger.Instance;

    public void AddProvider(ILoggerProvider provider) => host.AddProvider(provider);

    public void Dispose()
    {
        // The host's factory outlives every pool.
    }

    /// <summary>Logs what Npgsql logs at Information at Debug instead; other levels as they are.</summary>
    private sealed class DebugLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(Lower(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(Lower(logLevel), eventId, state, exception, formatter);

        private static LogLevel Lower(LogLevel level) => level == LogLevel.Information ? LogLevel.Debug : level;
    }
}
