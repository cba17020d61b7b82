using MimeKit;

namespace Mailing.Toolkit;

/// <summary>
/// The SMTP envelope of a message: the reverse path (MAIL FROM) and the recipients (RCPT TO).
/// By default it is derived from the headers: Sender or From, and To + Cc + Bcc.
/// </summary>
public sealed class MailEnvelope
{
    /// <summary>Creates an envelope.</summary>
    /// <param name="sender">The reverse path, or <see langword="null"/> for the null reverse path <c>&lt;&gt;</c> used by automatic replies and bounces.</param>
    /// <param name="recipients">At least one recipient; duplicates (ignoring case) are removed.</param>
    /// <exception cref="ArgumentException">There is no recipient.</exception>
    public MailEnvelope(EmailAddress? sender, IEnumerable<EmailAddress> recipients)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        Sender = sender;
        Recipients = recipients is IReadOnlyCollection<EmailAddress> { Count: 1 } single ? [single.First()] : recipients.Distinct().ToArray();
        if (Recipients.Count == 0)
            throw new ArgumentException("The envelope needs at least one recipient (To, Cc or Bcc).", nameof(recipients));
    }

    /// <summary>The reverse path; <see langword="null"/> means the null reverse path <c>&lt;&gt;</c>.</summary>
    public EmailAddress? Sender { get; }

    /// <summary>The envelope recipients.</summary>
    public IReadOnlyList<EmailAddress> Recipients { get; }

    /// <summary>Derives the envelope from a message's Sender/From and To/Cc/Bcc headers.</summary>
    /// <exception cref="ArgumentException">The message has no sender address or no recipient.</exception>
    public static MailEnvelope FromMessage(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sender = message.Sender ?? message.From.Mailboxes.FirstOrDefault()
            ?? throw new ArgumentException("The message has no From address: set From, or configure Mailing:DefaultFrom.", nameof(message));
        var recipients = new List<EmailAddress>(message.To.Count + message.Cc.Count + message.Bcc.Count);
        foreach (var mailbox in message.To.Mailboxes)
            recipients.Add(EmailAddress.FromMailbox(mailbox));
        foreach (var mailbox in message.Cc.Mailboxes)
            recipients.Add(EmailAddress.FromMailbox(mailbox));
        foreach (var mailbox in message.Bcc.Mailboxes)
            recipients.Add(EmailAddress.FromMailbox(mailbox));
        return new MailEnvelope(EmailAddress.FromMailbox(sender), recipients);
    }

    /// <summary>Returns an envelope with the same sender and other recipients.</summary>
    public MailEnvelope WithRecipients(IEnumerable<EmailAddress> recipients) => new(Sender, recipients);

    /// <summary>Returns an envelope with the same recipients and another reverse path (<see langword="null"/> for <c>&lt;&gt;</c>).</summary>
    public MailEnvelope WithSender(EmailAddress? sender) => new(sender, Recipients);
}
