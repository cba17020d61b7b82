using Mailing.Toolkit.Net;

namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Settings of the POP3 receiver, bound from <c>Mailing:Pop3</c>. <see cref="MailServerOptions.Host"/> and <see cref="MailServerOptions.UserName"/> are required; everything
/// else has a safe default.
/// </summary>
public sealed class Pop3ReceiverOptions : MailServerOptions
{
    /// <summary>
    /// Whether a message is deleted on the server once its handler succeeded (DELE, committed by QUIT at the end
    /// of the pass). Off by default: handled messages stay on the server and are recognized by their UIDL.
    /// <see cref="MailDisposition.Delete"/> deletes regardless of this setting.
    /// </summary>
    public bool DeleteAfterHandling { get; set; }

    /// <summary>
    /// The JSON file that records the UIDLs of handled messages, so a restart does not hand them again. When empty,
    /// an <see cref="IMailboxStateStore"/> registered in the container is used, and otherwise positions are kept in
    /// memory only (a warning is logged: after a restart every message still on the server is handed again).
    /// </summary>
    public string? StateFilePath { get; set; }

    /// <summary>The key of this mailbox in the state store; <c>pop3://{UserName}@{Host}:{Port}</c> when empty.</summary>
    public string? StateKey { get; set; }

    /// <summary>Connection attempts per pass, the first included, before the pass fails.</summary>
    public int MaxConnectAttempts { get; set; } = 5;

    /// <summary>The delay before reconnecting after a failure; it doubles with each attempt, with jitter.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two connection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    private protected override string Protocol => "POP3";

    private protected override int? SslPort => 995;

    private protected override int StandardPort => 110;

    internal string EffectiveStateKey => string.IsNullOrWhiteSpace(StateKey) ? $"pop3://{UserName}@{Host}:{EffectivePort}" : StateKey;
}
