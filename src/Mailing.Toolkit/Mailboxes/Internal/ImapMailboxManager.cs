using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Mailing.Toolkit.Imap.Internal;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Mailboxes.Internal;

/// <summary>
/// <see cref="IMailboxManager"/> over one MailKit IMAP connection. Management calls are short and infrequent,
/// and servers cap connections per user (Dovecot: 10 per IP), so the manager keeps a single
/// <see cref="ImapSession"/> (the receiver's session type), which hands it to one caller at a time: concurrent calls
/// queue instead of failing with "ImapClient is busy". A dropped connection is replaced on the next call; a call that
/// can safely run twice (everything but append, copy and rename) is retried once on a new connection when a reused
/// one turns out dead.
/// </summary>
internal sealed class ImapMailboxManager : IMailboxManager, IAsyncDisposable, IDisposable
{
    private const StatusItems FolderStatus = StatusItems.Count | StatusItems.Unread | StatusItems.UidNext | StatusItems.UidValidity;

    /// <summary>
    /// One retry, at once, and only of a reused connection (a failure to connect is reported, not repeated); a
    /// connection unused for a minute is checked with NOOP first, as servers drop idle sessions (autologout).
    /// </summary>
    private static readonly ImapRetryPolicy Retry = new(MaxAttempts: 2, BaseDelay: TimeSpan.Zero, MaxDelay: TimeSpan.Zero, RetryFailedConnect: false, CheckAfterIdle: TimeSpan.FromMinutes(1));

    private readonly ImapConnector connector;
    private readonly ILogger logger;
    private readonly ImapSession session;

    public ImapMailboxManager(ImapConnector connector, TimeProvider timeProvider, ILogger<ImapMailboxManager> logger)
    {
        this.connector = connector;
        this.logger = logger;
        session = new ImapSession(connector, Retry, timeProvider, new SessionEvents(logger));
    }

    public Task<IReadOnlyList<MailFolderInfo>> ListFoldersAsync(bool subscribedOnly = false, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<MailFolderInfo>>("list folders", null, repeatable: true, async (imap, ct) =>
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var result = new List<MailFolderInfo>();
            foreach (var ns in imap.PersonalNamespaces.Concat(imap.SharedNamespaces).Concat(imap.OtherNamespaces))
            {
                // Dovecot lists every namespace under the personal one too: keep each folder once.
                foreach (var folder in await imap.GetFoldersAsync(ns, FolderStatus, subscribedOnly, ct).ConfigureAwait(false))
                {
                    var info = Describe(imap, folder);
                    if (seen.Add(info.FullName))
                        result.Add(info);
                }
            }

            return result;
        }, cancellationToken);

    public Task<MailFolderInfo> CreateFolderAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(name, nameof(name));
        return RunAsync("create folder", path, repeatable: true, async (imap, ct) =>
        {
            var (folder, created) = await ImapFolders.EnsureAsync(imap, path, ct).ConfigureAwait(false);
            if (created)
                MailboxLog.FolderCreated(logger, path);
            if (!folder.Attributes.HasFlag(FolderAttributes.NoSelect))
                await folder.StatusAsync(FolderStatus, ct).ConfigureAwait(false);
            return Describe(imap, folder);
        }, cancellationToken);
    }

    public Task RenameFolderAsync(string name, string newName, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(name, nameof(name));
        var newPath = FolderNames.Check(newName, nameof(newName));
        return RunAsync("rename folder", path, repeatable: false, async (imap, ct) =>
        {
            var folder = await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false);
            var (parentPath, leaf) = FolderNames.Split(newPath);
            var parent = parentPath is null ? ImapFolders.RootOf(imap) : (await ImapFolders.EnsureAsync(imap, parentPath, ct).ConfigureAwait(false)).Folder;
            await session.CloseIfWithinAsync(path, ct).ConfigureAwait(false);
            await folder.RenameAsync(parent, leaf, ct).ConfigureAwait(false);
            MailboxLog.FolderRenamed(logger, path, newPath);
            return true;
        }, cancellationToken);
    }

    public Task DeleteFolderAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(name, nameof(name));
        return RunAsync("delete folder", path, repeatable: true, async (imap, ct) =>
        {
            var folder = await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false);
            await session.CloseIfWithinAsync(path, ct).ConfigureAwait(false);
            await folder.DeleteAsync(ct).ConfigureAwait(false);
            MailboxLog.FolderDeleted(logger, path);
            return true;
        }, cancellationToken);
    }

    public Task SetSubscribedAsync(string name, bool subscribed, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(name, nameof(name));
        return RunAsync(subscribed ? "subscribe" : "unsubscribe", path, repeatable: true, async (imap, ct) =>
        {
            var folder = await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false);
            if (subscribed)
                await folder.SubscribeAsync(ct).ConfigureAwait(false);
            else
                await folder.UnsubscribeAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<MailAccessEntry>> GetAccessRightsAsync(string folder, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        return RunAsync<IReadOnlyList<MailAccessEntry>>("read the access control list", path, repeatable: true, async (imap, ct) =>
        {
            var acl = await (await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false)).GetAccessControlListAsync(ct).ConfigureAwait(false);
            return acl.Select(entry => new MailAccessEntry(entry.Name, entry.Rights.ToString())).ToArray();
        }, cancellationToken);
    }

    public Task SetAccessRightsAsync(string folder, string identifier, string rights, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        CheckIdentifier(identifier, nameof(identifier));
        var letters = CheckRights(rights, nameof(rights));
        return RunAsync("set access rights", path, repeatable: true, async (imap, ct) =>
        {
            var target = await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false);
            await target.SetAccessRightsAsync(identifier, new AccessRights(letters), ct).ConfigureAwait(false);
            MailboxLog.AccessRightsChanged(logger, path, identifier, letters);
            return true;
        }, cancellationToken);
    }

    public Task RemoveAccessRightsAsync(string folder, string identifier, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        CheckIdentifier(identifier, nameof(identifier));
        return RunAsync("remove access rights", path, repeatable: true, async (imap, ct) =>
        {
            var target = await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false);
            await target.RemoveAccessAsync(identifier, ct).ConfigureAwait(false);
            MailboxLog.AccessRightsChanged(logger, path, identifier, string.Empty);
            return true;
        }, cancellationToken);
    }

    public Task<string> GetMyRightsAsync(string folder, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        return RunAsync("read my rights", path, repeatable: true, async (imap, ct) =>
        {
            var rights = await (await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false)).GetMyAccessRightsAsync(ct).ConfigureAwait(false);
            return rights.ToString();
        }, cancellationToken);
    }

    public Task<MailQuota> GetQuotaAsync(string folder, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        return RunAsync("read the quota", path, repeatable: true, async (imap, ct) =>
            await ReadQuotaAsync(await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false), ct).ConfigureAwait(false), cancellationToken);
    }

    public Task<IReadOnlyList<uint>> SearchAsync(string folder, MailSearch query, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        ArgumentNullException.ThrowIfNull(query);
        var imapQuery = SearchTranslator.Translate(query, nameof(query));
        return RunAsync<IReadOnlyList<uint>>("search", path, repeatable: true, async (imap, ct) =>
        {
            var source = await session.OpenAsync(path, FolderAccess.ReadOnly, fresh: false, ct).ConfigureAwait(false);
            var uids = await source.SearchAsync(imapQuery, ct).ConfigureAwait(false);
            return uids.Select(uid => uid.Id).ToArray();
        }, cancellationToken);
    }

    public Task<uint?> AppendAsync(string folder, MimeMessage message, MailFlags flags = MailFlags.None, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        ArgumentNullException.ThrowIfNull(message);
        var messageFlags = ToMessageFlags(flags);
        return RunAsync("append", path, repeatable: false, async (imap, ct) =>
        {
            var target = await ImapFolders.GetAsync(imap, path, ct).ConfigureAwait(false);
            var uid = await GuardQuotaAsync(target, path, () => target.AppendAsync(new AppendRequest(message, messageFlags), ct), ct).ConfigureAwait(false);
            return uid?.Id;
        }, cancellationToken);
    }

    public Task<IReadOnlyDictionary<uint, uint>> MoveAsync(string folder, IReadOnlyCollection<uint> uids, string destination, CancellationToken cancellationToken = default) =>
        Transfer("move", folder, uids, destination, move: true, cancellationToken);

    public Task<IReadOnlyDictionary<uint, uint>> CopyAsync(string folder, IReadOnlyCollection<uint> uids, string destination, CancellationToken cancellationToken = default) =>
        Transfer("copy", folder, uids, destination, move: false, cancellationToken);

    public Task SetFlagsAsync(string folder, IReadOnlyCollection<uint> uids, MailFlags flags, bool add, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        var ids = ToUniqueIds(uids, nameof(uids));
        var messageFlags = ToMessageFlags(flags);
        if (ids.Count == 0 || messageFlags == MessageFlags.None)
            return Task.CompletedTask;
        return RunAsync(add ? "add flags" : "remove flags", path, repeatable: true, async (imap, ct) =>
        {
            var source = await session.OpenAsync(path, FolderAccess.ReadWrite, fresh: false, ct).ConfigureAwait(false);
            await source.StoreAsync(ids, new StoreFlagsRequest(add ? StoreAction.Add : StoreAction.Remove, messageFlags) { Silent = true }, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public Task DeleteMessagesAsync(string folder, IReadOnlyCollection<uint> uids, bool expunge = true, CancellationToken cancellationToken = default)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        var ids = ToUniqueIds(uids, nameof(uids));
        if (ids.Count == 0)
            return Task.CompletedTask;
        return RunAsync("delete messages", path, repeatable: true, async (imap, ct) =>
        {
            var source = await session.OpenAsync(path, FolderAccess.ReadWrite, fresh: false, ct).ConfigureAwait(false);
            await source.StoreAsync(ids, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, ct).ConfigureAwait(false);
            // UID EXPUNGE (UIDPLUS) removes only these messages, not others another client marked \Deleted.
            if (expunge)
                await source.ExpungeAsync(ids, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public ValueTask DisposeAsync() => session.DisposeAsync();

    public void Dispose() => session.Dispose();

    private Task<IReadOnlyDictionary<uint, uint>> Transfer(string operation, string folder, IReadOnlyCollection<uint> uids, string destination, bool move, CancellationToken cancellationToken)
    {
        var path = FolderNames.Check(folder, nameof(folder));
        var destinationPath = FolderNames.Check(destination, nameof(destination));
        var ids = ToUniqueIds(uids, nameof(uids));
        if (ids.Count == 0)
            return Task.FromResult<IReadOnlyDictionary<uint, uint>>(new Dictionary<uint, uint>());

        // A move repeated after a lost connection finds the messages gone and moves nothing twice; a copy would duplicate.
        return RunAsync<IReadOnlyDictionary<uint, uint>>(operation, path, repeatable: move, async (imap, ct) =>
        {
            var target = await ImapFolders.GetAsync(imap, destinationPath, ct).ConfigureAwait(false);
            var source = await session.OpenAsync(path, move ? FolderAccess.ReadWrite : FolderAccess.ReadOnly, fresh: false, ct).ConfigureAwait(false);
            var map = await GuardQuotaAsync(target, destinationPath, () => move ? source.MoveToAsync(ids, target, ct) : source.CopyToAsync(ids, target, ct), ct).ConfigureAwait(false);
            return map.ToDictionary(pair => pair.Key.Id, pair => pair.Value.Id);
        }, cancellationToken);
    }

    /// <summary>Runs one operation on the session and turns failures into <see cref="MailboxException"/>s.</summary>
    private async Task<T> RunAsync<T>(string operation, string? folder, bool repeatable, Func<ImapClient, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await session.RunAsync(operation, (imap, _, ct) => action(imap, ct), repeatable, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            && ex is not (ArgumentException or MailboxException or ObjectDisposedException))
        {
            throw Translate(ex, operation, folder);
        }
    }

    private MailboxException Translate(Exception ex, string operation, string? folder)
    {
        var at = folder is null ? string.Empty : $" '{folder}'";
        return ex switch
        {
            FolderNotFoundException => new MailboxException($"Could not {operation}: folder{at} does not exist on {connector.Server}.", folder, null, ex),
            ImapCommandException command => new MailboxException(
                $"Could not {operation}{(folder is null ? string.Empty : $" ({folder})")}: {connector.Server} refused it: {command.ResponseText}", folder, command.ResponseText, ex),
            NotSupportedException => new MailboxException($"Could not {operation}: {connector.Server} does not support it ({ex.Message})", folder, null, ex),
            AuthenticationException or SslHandshakeException => new MailboxException($"Could not {operation}: logging in to {connector.Server} failed: {ex.Message}", folder, null, ex),
            _ => new MailboxException($"Could not {operation}: the connection to {connector.Server} failed ({ex.GetType().Name}: {ex.Message})", folder, null, ex),
        };
    }

    /// <summary>Runs a store (append, copy, move) and turns a quota refusal into <see cref="MailboxQuotaExceededException"/> with the quota read back.</summary>
    private async Task<T> GuardQuotaAsync<T>(ImapFolder target, string path, Func<Task<T>> store, CancellationToken cancellationToken)
    {
        try
        {
            return await store().ConfigureAwait(false);
        }
        catch (ImapCommandException ex) when (IsOverQuota(ex))
        {
            MailQuota? quota = null;
            try
            {
                quota = await ReadQuotaAsync(target, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception readFailure) when (readFailure is ImapCommandException or NotSupportedException)
            {
                // The quota itself is not readable (no QUOTA extension, or no right to read it): report without it.
            }

            MailboxLog.OverQuota(logger, path, quota?.Root);
            var usage = quota is { StorageUsedKilobytes: { } used, StorageLimitKilobytes: { } limit } ? $" ({quota.Root}: {used} of {limit} KiB used)" : string.Empty;
            throw new MailboxQuotaExceededException(
                $"Folder '{path}' is over its quota{usage}: {connector.Server} refused to store the message ({ex.ResponseText}). Free space or raise the limit.",
                path, quota, ex.ResponseText, ex);
        }
    }

    /// <summary>RFC 9208 <c>[OVERQUOTA]</c>; MailKit keeps only the text, which every server we know words with "quota".</summary>
    private static bool IsOverQuota(ImapCommandException ex) =>
        ex.ResponseText?.Contains("quota", StringComparison.OrdinalIgnoreCase) == true
        || ex.Message.Contains("OVERQUOTA", StringComparison.OrdinalIgnoreCase);

    private static async Task<MailQuota> ReadQuotaAsync(ImapFolder folder, CancellationToken cancellationToken)
    {
        var quota = await folder.GetQuotaAsync(cancellationToken).ConfigureAwait(false);
        return new MailQuota(
            quota?.QuotaRoot?.FullName ?? string.Empty,
            quota?.CurrentStorageSize,
            quota?.StorageLimit,
            quota?.CurrentMessageCount,
            quota?.MessageLimit);
    }

    private static MailFolderInfo Describe(ImapClient imap, IMailFolder folder)
    {
        var attributes = folder.Attributes;
        var use = MailFolderUse.None;
        if (ReferenceEquals(folder, imap.Inbox) || attributes.HasFlag(FolderAttributes.Inbox))
            use |= MailFolderUse.Inbox;
        if (attributes.HasFlag(FolderAttributes.Sent))
            use |= MailFolderUse.Sent;
        if (attributes.HasFlag(FolderAttributes.Drafts))
            use |= MailFolderUse.Drafts;
        if (attributes.HasFlag(FolderAttributes.Trash))
            use |= MailFolderUse.Trash;
        if (attributes.HasFlag(FolderAttributes.Junk))
            use |= MailFolderUse.Junk;
        if (attributes.HasFlag(FolderAttributes.Archive))
            use |= MailFolderUse.Archive;
        return new MailFolderInfo(FolderNames.FromServer(folder), use, folder.Count, folder.Unread, folder.UidNext?.Id ?? 0, folder.UidValidity, folder.IsSubscribed);
    }

    private static void CheckIdentifier(string identifier, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identifier, paramName);
        HeaderSafety.EnsureSingleLine(identifier, "Access control identifier", paramName);
    }

    /// <summary>RFC 4314 rights are letters and digits; anything else is a mistake (or an attempt at one).</summary>
    private static string CheckRights(string rights, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(rights, paramName);
        if (!rights.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            throw new ArgumentException(
                $"Rights '{rights.ReplaceLineEndings(" ")}' must be RFC 4314 rights letters such as 'lr' or 'lrswipkxtea'; use RemoveAccessRightsAsync to remove every right.",
                paramName);
        }

        return rights;
    }

    private static List<UniqueId> ToUniqueIds(IReadOnlyCollection<uint> uids, string paramName)
    {
        ArgumentNullException.ThrowIfNull(uids, paramName);
        var ids = new List<UniqueId>(uids.Count);
        foreach (var uid in uids)
        {
            if (uid == 0)
                throw new ArgumentException("UID 0 is not a valid message UID (UIDs start at 1).", paramName);
            ids.Add(new UniqueId(uid));
        }

        return ids;
    }

    internal static MessageFlags ToMessageFlags(MailFlags flags)
    {
        var result = MessageFlags.None;
        if (flags.HasFlag(MailFlags.Seen))
            result |= MessageFlags.Seen;
        if (flags.HasFlag(MailFlags.Answered))
            result |= MessageFlags.Answered;
        if (flags.HasFlag(MailFlags.Flagged))
            result |= MessageFlags.Flagged;
        if (flags.HasFlag(MailFlags.Deleted))
            result |= MessageFlags.Deleted;
        if (flags.HasFlag(MailFlags.Draft))
            result |= MessageFlags.Draft;
        return result;
    }

    private sealed class SessionEvents(ILogger logger) : IImapSessionEvents
    {
        public void ConnectionLost(string server, string operation, Exception error, int failures, bool retrying) =>
            MailboxLog.ConnectionLost(logger, server, operation, error.GetType().Name, retrying);

        public void LogoutFailed(string server, Exception error) => MailboxLog.LogoutFailed(logger, server, error.GetType().Name);
    }
}

internal static partial class MailboxLog
{
    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "The IMAP connection to {Server} was lost during {Operation} ({Error}); retrying on a new connection: {Retrying}")]
    public static partial void ConnectionLost(ILogger logger, string server, string operation, string error, bool retrying);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Debug, Message = "Closing the IMAP connection to {Server} failed ({Error}); it was dropped")]
    public static partial void LogoutFailed(ILogger logger, string server, string error);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Information, Message = "Created folder {Folder}")]
    public static partial void FolderCreated(ILogger logger, string folder);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Information, Message = "Renamed folder {Folder} to {NewName}")]
    public static partial void FolderRenamed(ILogger logger, string folder, string newName);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Information, Message = "Deleted folder {Folder}")]
    public static partial void FolderDeleted(ILogger logger, string folder);

    [LoggerMessage(EventId = 3025, Level = LogLevel.Debug, Message = "Access rights on folder {Folder} for {Identifier} set to '{Rights}'")]
    public static partial void AccessRightsChanged(ILogger logger, string folder, string identifier, string rights);

    [LoggerMessage(EventId = 3026, Level = LogLevel.Warning, Message = "Storing into folder {Folder} was refused: over quota (root {QuotaRoot})")]
    public static partial void OverQuota(ILogger logger, string folder, string? quotaRoot);
}
