namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Settings of the IMAP receiver, bound from <c>Mailing:Imap:Receiver</c>; the account itself (host, login, TLS)
/// is <see cref="Mailing.Toolkit.Imap.ImapOptions"/> from <c>Mailing:Imap</c>, shared with the mailbox manager.
/// Every value has a safe default.
/// </summary>
public sealed class ImapReceiverOptions
{
    /// <summary>The folder new mail arrives in (<c>Mailing:Imap:Receiver:Folder</c>); levels separated by <c>/</c>.</summary>
    public string Folder { get; set; } = "INBOX";

    /// <summary>
    /// For several app instances on one mailbox: a folder <b>unique to this instance</b>, for example
    /// <c>Processing/worker-1</c>, created when missing; give every instance's claim folder the same parent. Each pass
    /// first claims a batch in <see cref="Folder"/> (a conditional store of this instance's keyword, which the server
    /// grants to one instance only) and moves it here, then hands out what this folder holds; acknowledgements act
    /// here. A message is handed only by the instance whose claim the server confirmed. Messages claimed but not
    /// acknowledged are handed again by the next pass of the same instance or, when the server supports METADATA and
    /// this instance stops renewing its lease (<see cref="ClaimLease"/>), taken over by another. Requires MOVE and
    /// CONDSTORE. Empty (the default): no claiming. The protocol, step by step: docs/receiving.md.
    /// </summary>
    public string? ClaimFolder { get; set; }

    /// <summary>
    /// With <see cref="ClaimFolder"/>: how long this instance's claims outlive it. It renews its lease every third of
    /// this; another instance that sees the lease unchanged for this long takes over its unhandled messages, and this
    /// instance hands nothing once two thirds have passed without a renewal. Handlers that may run longer than a third
    /// of it while the server is unreachable should get a longer lease.
    /// </summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Messages fetched per round trip (one UID FETCH for sizes and dates, one for the bodies, up to
    /// <see cref="MaxPrefetchBatchBytes"/> of them) and the most acknowledged by one command.
    /// </summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Bodies up to this size in bytes are fetched with their batch and kept in memory; larger ones are fetched when
    /// <see cref="ReceivedMail.OpenReadAsync"/> is called, in chunks, into a temporary file deleted when the stream closes.
    /// </summary>
    public int MaxPrefetchSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// The most body bytes one batch fetches up front (the first body of a batch always comes with it); bodies past
    /// that are fetched when <see cref="ReceivedMail.OpenReadAsync"/> is called, like large ones. With one batch
    /// fetched ahead, the receiver holds about twice this in memory.
    /// </summary>
    public long MaxPrefetchBatchBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Whether <see cref="IMailArrivalNotifier"/> waits with IDLE when the server has it; polls otherwise.</summary>
    public bool UseIdle { get; set; } = true;

    /// <summary>
    /// How long one IDLE command lasts before it is re-issued: below the 29 minutes after which RFC 9051 lets a
    /// server drop an idle client, and below common NAT and firewall idle timeouts.
    /// </summary>
    public TimeSpan IdleRestartInterval { get; set; } = TimeSpan.FromMinutes(9);

    /// <summary>Without IDLE, how long <see cref="IMailArrivalNotifier.WaitForArrivalAsync"/> waits before the next pass.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The JSON file that keeps the position (UIDVALIDITY and last handled UID), so a restart resumes where the last
    /// run stopped. When empty, an <see cref="IMailboxStateStore"/> registered in the container is used, and otherwise
    /// positions are kept in memory only (a warning is logged).
    /// </summary>
    public string? StateFilePath { get; set; }

    /// <summary>
    /// The key of the position in the state store; <c>imap://{UserName}@{Host}:{Port}/{folder}</c> when empty, where
    /// folder is <see cref="ClaimFolder"/> when set and <see cref="Folder"/> otherwise.
    /// </summary>
    public string? StateKey { get; set; }

    /// <summary>Connection attempts in a row, the first included, before an operation fails.</summary>
    public int MaxConnectAttempts { get; set; } = 5;

    /// <summary>The delay before reconnecting after a failure; it doubles with each attempt, with jitter.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two connection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The folder the receiver reads and acknowledges in.</summary>
    internal string WorkFolder => string.IsNullOrWhiteSpace(ClaimFolder) ? Folder : ClaimFolder;
}
