using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>Writes log events at <paramref name="minimum"/> and above to a test's output, prefixed with a name, so a failing run shows what the library saw.</summary>
internal sealed class TestOutputLogger(ITestOutputHelper output, string prefix, LogLevel minimum) : ILoggerProvider, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
            return;
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{prefix}] {logLevel} {eventId.Id}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished; a late event (a renewal during dispose) has nowhere to go.
        }
    }

    public void Dispose()
    {
    }
}
