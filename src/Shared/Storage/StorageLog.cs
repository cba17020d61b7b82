using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Applied Mailing.Toolkit schema migration {Version} ({Name}) to {Database}")]
    public static partial void MigrationApplied(ILogger logger, int version, string name, string database);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Error, Message = "The Mailing.Toolkit schema on {Database} is not ready ({Failures} failure(s) in a row); trying again in {Delay}")]
    public static partial void SchemaNotReady(ILogger logger, Exception exception, string database, int failures, TimeSpan delay);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "The Mailing.Toolkit schema on {Database} is ready")]
    public static partial void SchemaReady(ILogger logger, string database);
}
