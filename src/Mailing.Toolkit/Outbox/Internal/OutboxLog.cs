using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Outbox.Internal;

internal static partial class OutboxLog
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Outbox dispatcher started on {Store} with {Workers} worker(s)")]
    public static partial void Started(ILogger logger, string store, int workers);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Error, Message = "Outbox dispatcher could not lease rows from {Store} ({Failures} failure(s) in a row); trying again in {Delay}")]
    public static partial void LeaseFailed(ILogger logger, Exception exception, string store, int failures, TimeSpan delay);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Debug, Message = "Outbox row {Id} ({MessageId}) sent on attempt {Attempt}")]
    public static partial void Sent(ILogger logger, long id, string messageId, int attempt);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Outbox row {Id} ({MessageId}) failed transiently on attempt {Attempt} ({ErrorType}); retrying at {RetryAt:O}")]
    public static partial void Retrying(ILogger logger, long id, string messageId, int attempt, string errorType, DateTimeOffset retryAt);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "Outbox row {Id} ({MessageId}) moved to the dead-letter state after attempt {Attempt}: {Reason}")]
    public static partial void Failed(ILogger logger, long id, string messageId, int attempt, string reason);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Outbox row {Id} ({MessageId}) may have been delivered (the connection failed after the end of the data); it is not sent again until requeued")]
    public static partial void MaybeDelivered(ILogger logger, long id, string messageId);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Outbox row {Id} ({MessageId}): its lease expired before the outcome was recorded, so another dispatcher may send it again; raise Mailing:Outbox:LeaseDuration above the longest send")]
    public static partial void LeaseLost(ILogger logger, long id, string messageId);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Error, Message = "Outbox row {Id} ({MessageId}): recording its outcome in {Store} failed; when the lease expires it will be sent again")]
    public static partial void CompleteFailed(ILogger logger, Exception exception, long id, string messageId, string store);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Information, Message = "Outbox purged {Count} finished row(s) older than {Before:O}")]
    public static partial void Purged(ILogger logger, int count, DateTimeOffset before);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Warning, Message = "Outbox maintenance on {Store} failed")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception, string store);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Warning, Message = "The outbox keeps queued mail in memory only: mail not yet sent is lost when the process stops. Back it with UseSqlite(...) or UsePostgreSql(...)")]
    public static partial void InMemoryOnly(ILogger logger);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning, Message = "Recording {Count} outbox outcome(s) failed (attempt {Attempt} of 3); trying again")]
    public static partial void CompleteRetrying(ILogger logger, Exception exception, int count, int attempt);
}
