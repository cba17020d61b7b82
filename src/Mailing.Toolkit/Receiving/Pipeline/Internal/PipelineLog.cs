using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>Log events of the inbound pipeline, EventIds 3200-3299.</summary>
internal static partial class PipelineLog
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Inbound processing of mailbox {Mailbox} started: {Routes} route(s), up to {MaxParallelism} message(s) at a time, a pass every {PollIntervalMs:F0} ms")]
    public static partial void Started(ILogger logger, string mailbox, int routes, int maxParallelism, double pollIntervalMs);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Debug, Message = "Message {Id} (Message-ID {MessageId}) in {Mailbox} took route {Route}")]
    public static partial void Routed(ILogger logger, string id, string? messageId, string mailbox, string route);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Message {Id} (Message-ID {MessageId}) handled by route {Route} in {Attempts} attempt(s): {Disposition}")]
    public static partial void Handled(ILogger logger, string id, string? messageId, string route, int attempts, MailDispositionKind disposition);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Message {Id} (Message-ID {MessageId}): attempt {Attempt} of {MaxAttempts} failed ({ErrorType}); retrying in {DelayMs:F0} ms")]
    public static partial void Retrying(ILogger logger, Exception exception, string id, string? messageId, int attempt, int maxAttempts, string errorType, double delayMs);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Error, Message = "Message {Id} (Message-ID {MessageId}) moved to quarantine folder {Folder} after {Attempts} attempt(s): {ErrorType}")]
    public static partial void Quarantined(ILogger logger, Exception exception, string id, string? messageId, string folder, int attempts, string errorType);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Error, Message = "Message {Id} cannot be parsed (limit {Limit}); it goes to quarantine folder {Folder}")]
    public static partial void Unparseable(ILogger logger, Exception exception, string id, string? limit, string folder);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Warning, Message = "Message {Id} (Message-ID {MessageId}) matched no route: {Disposition}")]
    public static partial void Unrouted(ILogger logger, string id, string? messageId, MailDispositionKind disposition);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Error, Message = "Message {Id} could not be moved to quarantine folder {Folder} ({ErrorType}); it stays in the mailbox")]
    public static partial void QuarantineFailed(ILogger logger, Exception exception, string id, string folder, string errorType);

    [LoggerMessage(EventId = 3208, Level = LogLevel.Warning, Message = "Message {Id} could not be read or acknowledged ({ErrorType}); it comes again in the next pass")]
    public static partial void Deferred(ILogger logger, Exception exception, string id, string errorType);

    [LoggerMessage(EventId = 3209, Level = LogLevel.Error, Message = "A pass over mailbox {Mailbox} failed ({ErrorType}); the next pass starts in {DelayMs:F0} ms")]
    public static partial void PassFailed(ILogger logger, Exception exception, string mailbox, string errorType, double delayMs);

    [LoggerMessage(EventId = 3210, Level = LogLevel.Information, Message = "Message {Id} was left in the mailbox: the pipeline is stopping; it is handled after the next start")]
    public static partial void LeftForNextStart(ILogger logger, string id);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Warning, Message = "Route {Route}: a pattern timed out on message {Id}; the route was skipped")]
    public static partial void RouteTimedOut(ILogger logger, string route, string id);

    [LoggerMessage(EventId = 3212, Level = LogLevel.Debug, Message = "Pass over mailbox {Mailbox} done: {Received} received, {Handled} handled, {Unrouted} unrouted, {Quarantined} quarantined, {Deferred} deferred")]
    public static partial void PassDone(ILogger logger, string mailbox, int received, int handled, int unrouted, int quarantined, int deferred);

    [LoggerMessage(EventId = 3213, Level = LogLevel.Information, Message = "The receiver registered under the key {Key} is not processed by the inbound pipeline; add p.Mailbox(\"{Key}\") to AddInboundProcessing() to process it")]
    public static partial void KeyedReceiverNotProcessed(ILogger logger, string key);

    [LoggerMessage(EventId = 3214, Level = LogLevel.Information, Message = "Message {Id} ({MessageId}) of mailbox {Mailbox} was handled before: not handled again, acknowledged with {Disposition}")]
    public static partial void DuplicateHandled(ILogger logger, string id, string? messageId, string mailbox, MailDispositionKind disposition);

    [LoggerMessage(EventId = 3215, Level = LogLevel.Information, Message = "Message {Id} ({MessageId}) of mailbox {Mailbox} is being handled by another instance; left for a later pass")]
    public static partial void DuplicateInProgress(ILogger logger, string id, string? messageId, string mailbox);

    [LoggerMessage(EventId = 3216, Level = LogLevel.Warning, Message = "The inbound de-duplication store failed for message {Id} of mailbox {Mailbox}")]
    public static partial void DeduplicationStoreFailed(ILogger logger, Exception exception, string id, string mailbox);

    [LoggerMessage(EventId = 3217, Level = LogLevel.Warning, Message = "Route {Route}: its WithAuthentication predicate threw on message {Id}; the route was skipped")]
    public static partial void RoutePredicateFailed(ILogger logger, Exception exception, string route, string id);

    [LoggerMessage(EventId = 3218, Level = LogLevel.Debug, Message = "Message {Id} ({MessageId}) authenticated: SPF {Spf}, DMARC {Dmarc}, disposition {Disposition}")]
    public static partial void Authenticated(ILogger logger, string id, string? messageId, Security.AuthenticationStatus spf, Security.AuthenticationStatus dmarc, Security.DmarcPolicy disposition);

    [LoggerMessage(EventId = 3219, Level = LogLevel.Debug, Message = "Message {Id} ({MessageId}) classified by {Classifier}: score {Score}, action {Action}")]
    public static partial void Classified(ILogger logger, string id, string? messageId, string classifier, double score, Security.SpamAction action);
}
