using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>Log events of the receivers and state stores, EventIds 3100-3199.</summary>
internal static partial class ReceiverLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Mailbox state file {Path} does not exist yet; it is created at the first update")]
    public static partial void StateFileCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "Mailbox state file {Path} cannot be read ({Detail}); it is not reset: restore or fix it, or delete it to start over")]
    public static partial void StateFileCorrupted(ILogger logger, string path, string detail);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Debug, Message = "Maildir message {Id} acknowledged: {Disposition}")]
    public static partial void MaildirAcknowledged(ILogger logger, string id, MailDispositionKind disposition);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Warning, Message = "Maildir message {Id} is no longer in {Maildir}: another reader moved or deleted it; nothing to acknowledge")]
    public static partial void MaildirMessageGone(ILogger logger, string id, string maildir);

    [LoggerMessage(EventId = 3120, Level = LogLevel.Debug, Message = "Opened POP3 session with {Server} ({Protocol})")]
    public static partial void Pop3Connected(ILogger logger, string server, string protocol);

    [LoggerMessage(EventId = 3121, Level = LogLevel.Warning, Message = "Could not connect to POP3 server {Server} ({Error}), attempt {Attempt} of {MaxAttempts}")]
    public static partial void Pop3ConnectFailed(ILogger logger, string server, string error, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 3122, Level = LogLevel.Warning, Message = "The POP3 connection to {Server} dropped ({Error}); reconnecting")]
    public static partial void Pop3ConnectionDropped(ILogger logger, string server, string error);

    [LoggerMessage(EventId = 3123, Level = LogLevel.Information, Message = "Deleted {Count} handled messages on POP3 server {Server}")]
    public static partial void Pop3Deleted(ILogger logger, int count, string server);

    [LoggerMessage(EventId = 3124, Level = LogLevel.Warning, Message = "Could not commit the POP3 session with {Server} ({Error}); its deletions were rolled back and are retried by the next pass")]
    public static partial void Pop3CommitFailed(ILogger logger, string server, string error);

    [LoggerMessage(EventId = 3125, Level = LogLevel.Warning, Message = "The POP3 receiver for {Server} keeps the UIDLs of handled messages in memory only: after a restart, every message still on the server is handed again. Set StateFilePath or register an IMailboxStateStore.")]
    public static partial void Pop3StateNotDurable(ILogger logger, string server);

    [LoggerMessage(EventId = 3128, Level = LogLevel.Warning, Message = "POP3 message {Uid} on {Server} could not be retrieved ({Reason}); skipped in this pass, tried again in the next")]
    public static partial void Pop3RetrieveFailed(ILogger logger, string uid, string server, string reason);

    [LoggerMessage(EventId = 3126, Level = LogLevel.Warning, Message = "DangerousAcceptAnyServerCertificate is on for {Server}: any server certificate is accepted. Never use this in production.")]
    public static partial void DangerousCertificateOption(ILogger logger, string server);

    [LoggerMessage(EventId = 3127, Level = LogLevel.Warning, Message = "DangerousAcceptAnyServerCertificate is on: accepting an invalid certificate from {Server} ({Errors}, subject {Subject}). Never use this in production.")]
    public static partial void AcceptingInvalidCertificate(ILogger logger, string server, string errors, string? subject);

    [LoggerMessage(EventId = 3143, Level = LogLevel.Warning, Message = "POP3 server {Server} refused to delete handled message {Uid} ({Reason}); it stays handled, and the next pass deletes it")]
    public static partial void Pop3DeleteRefused(ILogger logger, string uid, string server, string reason);

    [LoggerMessage(EventId = 3144, Level = LogLevel.Warning, Message = "POP3 message {Number} on {Server} has no UIDL, so it cannot be told apart across sessions; skipped until the server gives it one")]
    public static partial void Pop3MessageWithoutUid(ILogger logger, int number, string server);

    [LoggerMessage(EventId = 3129, Level = LogLevel.Information, Message = "POP3 server {Server} rejected the OAuth2 access token; asking the token provider for a fresh one")]
    public static partial void Pop3TokenRejected(ILogger logger, string server);
}
