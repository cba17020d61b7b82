using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>Collects the IMAP transcript the library bridges to ILogger at Trace (events 3011 and 3012), and the warnings.</summary>
internal sealed class ImapWireCapture : ILoggerProvider, ILogger
{
    public ConcurrentQueue<string> ClientLinesQueue { get; } = new();

    public ConcurrentQueue<string> ServerLinesQueue { get; } = new();

    public string[] ClientLines => ClientLinesQueue.ToArray();

    public string[] ServerLines => ServerLinesQueue.ToArray();

    public ConcurrentQueue<int> WarningEvents { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var text = formatter(state, exception);
        if (logLevel >= LogLevel.Warning)
            WarningEvents.Enqueue(eventId.Id);
        if (eventId.Id == 3011)
            ClientLinesQueue.Enqueue(text["C: ".Length..]);
        else if (eventId.Id == 3012)
            ServerLinesQueue.Enqueue(text["S: ".Length..]);
    }

    public void Dispose()
    {
    }
}
