using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>Log events of the IMAP receiver, EventIds 3130-3139 and 3150-3169 (3140-3149 are the POP3 protocol log).</summary>
internal static partial class ImapReceiverLog
{
    [LoggerMessage(EventId = 3130, Level = LogLevel.Information, Message = "IMAP position {StateKey} starts at UIDVALIDITY {UidValidity}: {Unseen} unseen messages are handed, seen ones count as handled")]
    public static partial void PositionStarted(ILogger logger, string stateKey, uint uidValidity, int unseen);

    [LoggerMessage(EventId = 3131, Level = LogLevel.Warning, Message = "UIDVALIDITY of {StateKey} changed from {Old} to {New}: the old position is void; {Unseen} unseen messages are handed (again), seen ones count as handled")]
    public static partial void UidValidityChanged(ILogger logger, string stateKey, long old, uint @new, int unseen);

    [LoggerMessage(EventId = 3132, Level = LogLevel.Warning, Message = "The IMAP connection to {Server} failed ({Error}), attempt {Attempt} of {MaxAttempts}; reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string server, string error, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 3133, Level = LogLevel.Debug, Message = "IMAP message {Id} acknowledged: {Disposition}")]
    public static partial void Acknowledged(ILogger logger, string id, MailDispositionKind disposition);

    [LoggerMessage(EventId = 3134, Level = LogLevel.Warning, Message = "IMAP message {Id} cannot be acknowledged: UIDVALIDITY of '{Folder}' is now {UidValidity}; the resync hands it again unless it is marked seen")]
    public static partial void StaleAcknowledgement(ILogger logger, string id, string folder, uint uidValidity);

    [LoggerMessage(EventId = 3135, Level = LogLevel.Information, Message = "Created IMAP folder '{Folder}'")]
    public static partial void FolderCreated(ILogger logger, string folder);

    [LoggerMessage(EventId = 3136, Level = LogLevel.Debug, Message = "Claimed {Count} messages from '{Folder}' into '{ClaimFolder}' (the server named {Confirmed} new UIDs)")]
    public static partial void Claimed(ILogger logger, int count, string folder, string claimFolder, int confirmed);

    [LoggerMessage(EventId = 3137, Level = LogLevel.Warning, Message = "The IMAP IDLE connection to {Server} dropped ({Error}); the next wait reconnects")]
    public static partial void IdleConnectionLost(ILogger logger, string server, string error);

    [LoggerMessage(EventId = 3138, Level = LogLevel.Information, Message = "{Server} does not support IDLE; waiting for new mail by polling")]
    public static partial void IdleUnsupported(ILogger logger, string server);

    [LoggerMessage(EventId = 3139, Level = LogLevel.Warning, Message = "The IMAP receiver {StateKey} keeps its position in memory only: after a restart, unseen messages are handed again. Set StateFilePath or register an IMailboxStateStore.")]
    public static partial void StateNotDurable(ILogger logger, string stateKey);

    [LoggerMessage(EventId = 3150, Level = LogLevel.Warning, Message = "The server let another instance claim {Count} messages in '{Folder}' at the same time as this one (its conditional store is not exclusive); this instance withdrew its claim")]
    public static partial void ClaimConflict(ILogger logger, int count, string folder);

    [LoggerMessage(EventId = 3151, Level = LogLevel.Warning, Message = "An unfinished move had already copied {Count} messages from '{Folder}' into '{ClaimFolder}'; the originals were expunged instead of moving them again")]
    public static partial void MoveFinished(ILogger logger, int count, string folder, string claimFolder);

    [LoggerMessage(EventId = 3152, Level = LogLevel.Warning, Message = "The server refused to move {Count} claimed messages from '{Folder}' into '{ClaimFolder}' ({Status} {Response}); the next round finishes the move")]
    public static partial void MoveRefused(ILogger logger, int count, string folder, string claimFolder, string status, string response);

    [LoggerMessage(EventId = 3153, Level = LogLevel.Warning, Message = "{Count} messages in '{ClaimFolder}' were taken over by another instance while this one's lease had lapsed; they are not handed here")]
    public static partial void ClaimsTakenOver(ILogger logger, int count, string claimFolder);

    [LoggerMessage(EventId = 3154, Level = LogLevel.Warning, Message = "Took over {Count} messages from '{Folder}' into '{ClaimFolder}': the lease of their owner expired")]
    public static partial void TookOver(ILogger logger, int count, string folder, string claimFolder);

    [LoggerMessage(EventId = 3155, Level = LogLevel.Information, Message = "The lease of '{Folder}' changed just before a takeover: its owner is alive, nothing is taken over")]
    public static partial void PeerAlive(ILogger logger, string folder);

    [LoggerMessage(EventId = 3156, Level = LogLevel.Warning, Message = "{Server} does not support METADATA (RFC 5464): '{ClaimFolder}' holds no lease, and the claims of an instance that stops are only resumed when it starts again")]
    public static partial void LeasesUnsupported(ILogger logger, string server, string claimFolder);

    [LoggerMessage(EventId = 3157, Level = LogLevel.Warning, Message = "The lease of '{ClaimFolder}' had lapsed; its claims are re-asserted before anything more is handed")]
    public static partial void LeaseLapsed(ILogger logger, string claimFolder);

    [LoggerMessage(EventId = 3158, Level = LogLevel.Warning, Message = "Renewing the lease of '{ClaimFolder}' failed ({Error}); if it stays stale, this instance stops handing and another takes its claims over")]
    public static partial void LeaseRenewalFailed(ILogger logger, string claimFolder, string error);

    [LoggerMessage(EventId = 3159, Level = LogLevel.Warning, Message = "The lease of '{ClaimFolder}' is stale: the pass stops handing; the next one re-asserts the claims first")]
    public static partial void HandingPaused(ILogger logger, string claimFolder);
}
