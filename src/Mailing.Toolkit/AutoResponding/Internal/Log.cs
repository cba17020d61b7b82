using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>The log events of the auto-responder (EventIds 4000-4099). Addresses appear only at Debug.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Auto-reply {ReplyId} sent for message {MessageId} by rule {Rule}")]
    public static partial void ReplySent(ILogger logger, string replyId, string? messageId, string rule);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Auto-reply for message {MessageId} went from {From} to {To} with subject {Subject}")]
    public static partial void ReplySentDetails(ILogger logger, string? messageId, string? from, string to, string subject);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "No auto-reply for message {MessageId}: {Suppression} ({Reason})")]
    public static partial void Suppressed(ILogger logger, string? messageId, AutoReplySuppression suppression, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "No auto-reply for message {MessageId} from {Sender}: {Suppression}")]
    public static partial void SuppressedDetails(ILogger logger, string? messageId, string? sender, AutoReplySuppression suppression);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Auto-reply rule {Rule} timed out matching {Field} of message {MessageId} after {TimeoutMs} ms; the rule was skipped")]
    public static partial void RuleTimedOut(ILogger logger, string rule, string field, string? messageId, double timeoutMs);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Auto-reply for message {MessageId} by rule {Rule} could not be sent ({ErrorType}); the sender was not marked as answered")]
    public static partial void SendFailed(ILogger logger, string? messageId, string rule, string errorType);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "The auto-reply history file {Path} could not be read ({Error}); starting with an empty history")]
    public static partial void HistoryUnreadable(ILogger logger, string path, string error);
}
