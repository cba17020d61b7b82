using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>The rspamd client's log events (8200-8219).</summary>
internal static partial class RspamdLog
{
    [LoggerMessage(EventId = 8200, Level = LogLevel.Debug, Message = "rspamd at {Server} classified {MessageId}: {Action}, score {Score} of {Threshold}, {Symbols} symbol(s)")]
    public static partial void Classified(ILogger logger, string server, string? messageId, SpamAction action, double score, double threshold, int symbols);

    [LoggerMessage(EventId = 8201, Level = LogLevel.Warning, Message = "rspamd at {Server} could not classify {MessageId}: {Reason}. Failing open: the message is passed on unchecked")]
    public static partial void FailedOpen(ILogger logger, Exception? exception, string server, string? messageId, string reason);

    [LoggerMessage(EventId = 8202, Level = LogLevel.Error, Message = "rspamd at {Server} could not classify {MessageId}: {Reason}. Failing closed")]
    public static partial void FailedClosed(ILogger logger, Exception? exception, string server, string? messageId, string reason);

    [LoggerMessage(EventId = 8203, Level = LogLevel.Information, Message = "{MessageId} is larger than {Path}:MaxMessageBytes ({Limit} bytes) and was not sent to rspamd")]
    public static partial void Skipped(ILogger logger, string? messageId, string path, int limit);
}

/// <summary>The SpamAssassin client's log events (8220-8239).</summary>
internal static partial class SpamAssassinLog
{
    [LoggerMessage(EventId = 8220, Level = LogLevel.Debug, Message = "spamd at {Server} classified {MessageId}: {Action}, score {Score} of {Threshold}, {Symbols} rule(s)")]
    public static partial void Classified(ILogger logger, string server, string? messageId, SpamAction action, double score, double threshold, int symbols);

    [LoggerMessage(EventId = 8221, Level = LogLevel.Warning, Message = "spamd at {Server} could not classify {MessageId}: {Reason}. Failing open: the message is passed on unchecked")]
    public static partial void FailedOpen(ILogger logger, Exception? exception, string server, string? messageId, string reason);

    [LoggerMessage(EventId = 8222, Level = LogLevel.Error, Message = "spamd at {Server} could not classify {MessageId}: {Reason}. Failing closed")]
    public static partial void FailedClosed(ILogger logger, Exception? exception, string server, string? messageId, string reason);

    [LoggerMessage(EventId = 8223, Level = LogLevel.Information, Message = "{MessageId} is larger than {Path}:MaxMessageBytes ({Limit} bytes) and was not sent to spamd")]
    public static partial void Skipped(ILogger logger, string? messageId, string path, int limit);
}
