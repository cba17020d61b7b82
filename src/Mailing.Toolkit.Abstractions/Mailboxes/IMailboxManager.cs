using MimeKit;

namespace Mailing.Toolkit.Mailboxes;

/// <summary>
/// Manages the folders, access rights, quota and messages of a mailbox (IMAP). Folder names use
/// <c>/</c> between levels whatever the server's separator, for example <c>Projects/2026</c>.
/// A name that is empty, has an empty level, or contains CR, LF, NUL or the IMAP wildcards <c>*</c>
/// and <c>%</c> is rejected with an <see cref="ArgumentException"/>. A command the server refuses, a
/// folder that does not exist and a connection that cannot be opened throw a <see cref="MailboxException"/>.
/// Safe to call concurrently.
/// </summary>
public interface IMailboxManager
{
    /// <summary>Lists folders with their special use and status.</summary>
    Task<IReadOnlyList<MailFolderInfo>> ListFoldersAsync(bool subscribedOnly = false, CancellationToken cancellationToken = default);

    /// <summary>Creates a folder, with its parents when missing; returns the existing folder when it is already there.</summary>
    Task<MailFolderInfo> CreateFolderAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Renames (or moves) a folder, with its subfolders; missing parents of <paramref name="newName"/> are created.</summary>
    Task RenameFolderAsync(string name, string newName, CancellationToken cancellationToken = default);

    /// <summary>Deletes a folder and the messages in it. A folder with subfolders is refused by most servers: delete those first.</summary>
    Task DeleteFolderAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Subscribes to or unsubscribes from a folder.</summary>
    Task SetSubscribedAsync(string name, bool subscribed, CancellationToken cancellationToken = default);

    /// <summary>Lists the access control entries of a folder (RFC 4314).</summary>
    Task<IReadOnlyList<MailAccessEntry>> GetAccessRightsAsync(string folder, CancellationToken cancellationToken = default);

    /// <summary>Replaces the rights of <paramref name="identifier"/> on a folder (rights in RFC 4314 letters, for example <c>lr</c>).</summary>
    Task SetAccessRightsAsync(string folder, string identifier, string rights, CancellationToken cancellationToken = default);

    /// <summary>Removes every right of <paramref name="identifier"/> on a folder.</summary>
    Task RemoveAccessRightsAsync(string folder, string identifier, CancellationToken cancellationToken = default);

    /// <summary>The rights of the logged-in user on a folder.</summary>
    Task<string> GetMyRightsAsync(string folder, CancellationToken cancellationToken = default);

    /// <summary>The quota of the root that contains <paramref name="folder"/>.</summary>
    Task<MailQuota> GetQuotaAsync(string folder, CancellationToken cancellationToken = default);

    /// <summary>Finds the UIDs of messages matching <paramref name="query"/>.</summary>
    Task<IReadOnlyList<uint>> SearchAsync(string folder, MailSearch query, CancellationToken cancellationToken = default);

    /// <summary>Appends a message; returns its UID when the server reports it (UIDPLUS).</summary>
    /// <exception cref="MailboxQuotaExceededException">The folder's quota would be exceeded.</exception>
    Task<uint?> AppendAsync(string folder, MimeMessage message, MailFlags flags = MailFlags.None, CancellationToken cancellationToken = default);

    /// <summary>Moves messages to another folder; returns their new UIDs by old UID when the server reports them (UIDPLUS), otherwise an empty map.</summary>
    /// <exception cref="MailboxQuotaExceededException">The destination's quota would be exceeded.</exception>
    Task<IReadOnlyDictionary<uint, uint>> MoveAsync(string folder, IReadOnlyCollection<uint> uids, string destination, CancellationToken cancellationToken = default);

    /// <summary>Copies messages to another folder; returns the copies' UIDs by original UID when the server reports them (UIDPLUS), otherwise an empty map.</summary>
    /// <exception cref="MailboxQuotaExceededException">The destination's quota would be exceeded.</exception>
    Task<IReadOnlyDictionary<uint, uint>> CopyAsync(string folder, IReadOnlyCollection<uint> uids, string destination, CancellationToken cancellationToken = default);

    /// <summary>Adds or removes flags.</summary>
    Task SetFlagsAsync(string folder, IReadOnlyCollection<uint> uids, MailFlags flags, bool add, CancellationToken cancellationToken = default);

    /// <summary>Marks messages deleted and, when <paramref name="expunge"/> is set, expunges them.</summary>
    Task DeleteMessagesAsync(string folder, IReadOnlyCollection<uint> uids, bool expunge = true, CancellationToken cancellationToken = default);
}

/// <summary>A folder with its special use and status.</summary>
/// <param name="FullName">The full name, levels separated by <c>/</c>.</param>
/// <param name="SpecialUse">Sent, Drafts, Trash, Junk, Archive, or none.</param>
/// <param name="Messages">The number of messages.</param>
/// <param name="Unseen">The number of unseen messages.</param>
/// <param name="UidNext">The next UID.</param>
/// <param name="UidValidity">The UIDVALIDITY.</param>
/// <param name="IsSubscribed">Whether the folder is subscribed.</param>
public sealed record MailFolderInfo(string FullName, MailFolderUse SpecialUse, int Messages, int Unseen, uint UidNext, uint UidValidity, bool IsSubscribed);

/// <summary>The special use of a folder (RFC 6154).</summary>
[Flags]
public enum MailFolderUse
{
    /// <summary>No special use.</summary>
    None = 0,

    /// <summary>The inbox.</summary>
    Inbox = 1,

    /// <summary>Sent messages.</summary>
    Sent = 2,

    /// <summary>Drafts.</summary>
    Drafts = 4,

    /// <summary>Deleted messages.</summary>
    Trash = 8,

    /// <summary>Spam.</summary>
    Junk = 16,

    /// <summary>Archived messages.</summary>
    Archive = 32,
}

/// <summary>One identifier's rights on a folder.</summary>
/// <param name="Identifier">The user or group.</param>
/// <param name="Rights">RFC 4314 rights letters, for example <c>lrswipkxtea</c>.</param>
public sealed record MailAccessEntry(string Identifier, string Rights);

/// <summary>The quota of a quota root.</summary>
/// <param name="Root">The quota root name.</param>
/// <param name="StorageUsedKilobytes">Storage used, in KiB, when reported.</param>
/// <param name="StorageLimitKilobytes">Storage limit, in KiB, when set.</param>
/// <param name="MessageCount">Messages stored, when reported.</param>
/// <param name="MessageLimit">Message limit, when set.</param>
public sealed record MailQuota(string Root, long? StorageUsedKilobytes, long? StorageLimitKilobytes, long? MessageCount, long? MessageLimit);

/// <summary>Message flags.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "IMAP calls them flags (RFC 9051).")]
public enum MailFlags
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>\Seen.</summary>
    Seen = 1,

    /// <summary>\Answered.</summary>
    Answered = 2,

    /// <summary>\Flagged.</summary>
    Flagged = 4,

    /// <summary>\Deleted.</summary>
    Deleted = 8,

    /// <summary>\Draft.</summary>
    Draft = 16,
}

/// <summary>
/// A search over a folder, composed from small pieces: <c>MailSearch.From("a@x").And(MailSearch.Unseen)</c>.
/// Values are sent as IMAP strings or literals, never spliced into a command; a value with CR, LF or NUL
/// is rejected here and again when the search runs (a record built with <c>new</c> or <c>with</c> is checked too).
/// </summary>
public abstract record MailSearch
{
    private protected MailSearch()
    {
    }

    /// <summary>Every message.</summary>
    public static MailSearch All { get; } = new FlagSearch(MailFlags.None, true);

    /// <summary>Unseen messages.</summary>
    public static MailSearch Unseen { get; } = new FlagSearch(MailFlags.Seen, false);

    /// <summary>Messages whose From contains <paramref name="text"/>.</summary>
    public static MailSearch From(string text) => new HeaderSearch("From", Checked(text));

    /// <summary>Messages whose To contains <paramref name="text"/>.</summary>
    public static MailSearch To(string text) => new HeaderSearch("To", Checked(text));

    /// <summary>Messages whose Cc contains <paramref name="text"/>.</summary>
    public static MailSearch Cc(string text) => new HeaderSearch("Cc", Checked(text));

    /// <summary>Messages whose subject contains <paramref name="text"/>.</summary>
    public static MailSearch Subject(string text) => new HeaderSearch("Subject", Checked(text));

    /// <summary>Messages whose header <paramref name="name"/> contains <paramref name="text"/>.</summary>
    public static MailSearch Header(string name, string text) => new HeaderSearch(Checked(name), Checked(text));

    /// <summary>Messages whose body contains <paramref name="text"/>.</summary>
    public static MailSearch Body(string text) => new BodySearch(Checked(text), false);

    /// <summary>Messages whose headers or body contain <paramref name="text"/>.</summary>
    public static MailSearch Contains(string text) => new BodySearch(Checked(text), true);

    /// <summary>Messages with (or without) the flags.</summary>
    public static MailSearch WithFlags(MailFlags flags, bool set = true) => new FlagSearch(flags, set);

    /// <summary>Messages delivered on or after <paramref name="date"/>.</summary>
    public static MailSearch Since(DateOnly date) => new DateSearch(date, true);

    /// <summary>Messages delivered before <paramref name="date"/>.</summary>
    public static MailSearch Before(DateOnly date) => new DateSearch(date, false);

    /// <summary>Both conditions.</summary>
    public MailSearch And(MailSearch other) => new AndSearch(this, other ?? throw new ArgumentNullException(nameof(other)));

    /// <summary>Either condition.</summary>
    public MailSearch Or(MailSearch other) => new OrSearch(this, other ?? throw new ArgumentNullException(nameof(other)));

    /// <summary>The negation.</summary>
    public MailSearch Not() => new NotSearch(this);

    private static string Checked(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return HeaderSafety.EnsureSingleLine(value, "Search value", nameof(value));
    }

    /// <summary>A header contains a value.</summary>
    /// <param name="Name">The header name.</param>
    /// <param name="Text">The text to find.</param>
    public sealed record HeaderSearch(string Name, string Text) : MailSearch;

    /// <summary>The body (or, with <paramref name="IncludeHeaders"/>, the whole message) contains a value.</summary>
    /// <param name="Text">The text to find.</param>
    /// <param name="IncludeHeaders">Search the headers too (IMAP <c>TEXT</c> instead of <c>BODY</c>).</param>
    public sealed record BodySearch(string Text, bool IncludeHeaders) : MailSearch;

    /// <summary>Flags set or not set; <see cref="MailFlags.None"/> with <c>Set</c> matches everything.</summary>
    /// <param name="Flags">The flags.</param>
    /// <param name="Set">Whether they must be set.</param>
    public sealed record FlagSearch(MailFlags Flags, bool Set) : MailSearch;

    /// <summary>Delivered since or before a date.</summary>
    /// <param name="Date">The date.</param>
    /// <param name="OnOrAfter">Since (true) or before (false).</param>
    public sealed record DateSearch(DateOnly Date, bool OnOrAfter) : MailSearch;

    /// <summary>Both conditions.</summary>
    /// <param name="Left">The first.</param>
    /// <param name="Right">The second.</param>
    public sealed record AndSearch(MailSearch Left, MailSearch Right) : MailSearch;

    /// <summary>Either condition.</summary>
    /// <param name="Left">The first.</param>
    /// <param name="Right">The second.</param>
    public sealed record OrSearch(MailSearch Left, MailSearch Right) : MailSearch;

    /// <summary>The negation.</summary>
    /// <param name="Inner">The negated condition.</param>
    public sealed record NotSearch(MailSearch Inner) : MailSearch;
}
