namespace Mailing.Toolkit.Receiving;

/// <summary>Settings of the Maildir receiver, bound from <c>Mailing:Maildir:Receiver</c>.</summary>
public sealed class MaildirReceiverOptions
{
    /// <summary>
    /// The Maildir root (with new/, cur/ and tmp/), for example the folder the Maildir sender writes into or
    /// the <c>Maildir</c> folder Postfix or Dovecot delivers into. Created when missing. Relative paths
    /// resolve against the current directory.
    /// </summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// Whether messages in cur/ that are not marked seen (no <c>S</c> flag) are received too, besides those in
    /// new/. On by default: a mail client or Dovecot moves a message from new/ to cur/ as soon as it looks at
    /// the folder, without reading it. Messages flagged trashed (<c>T</c>) are never received.
    /// </summary>
    public bool IncludeUnseenInCur { get; set; } = true;
}
