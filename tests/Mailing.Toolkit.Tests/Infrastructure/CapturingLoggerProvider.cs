using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Tests.Infrastructure;

/// <summary>Keeps every log line (all levels, with exceptions) so a test can search them.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Message)> Entries { get; } = new();

    public string AllText => string.Join("\n", Entries.Select(e => $"{e.Level} {e.Category} {e.Message}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((category, logLevel, eventId, formatter(state, exception) + (exception is null ? string.Empty : "\n" + exception)));
    }
}
