using MailKit.Net.Smtp;
using MimeKit;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// A MailKit client owned by the pool. It records each recipient's reply instead of failing the
/// whole message on the first refusal, so partial rejections are reported per recipient.
/// </summary>
internal sealed class PooledSmtpClient : SmtpClient
{
    private readonly List<RecipientResult> recipients = [];

    /// <param name="wire">The protocol logger of this connection.</param>
    /// <param name="endpoint">The server it connects to.</param>
    /// <param name="localDomain">The name announced in EHLO; MailKit's default (the machine name) when empty.</param>
    public PooledSmtpClient(SmtpWireLogger wire, SmtpServerEndpoint endpoint, string? localDomain)
        : base(wire)
    {
        Wire = wire;
        Endpoint = endpoint;
        Server = endpoint.ToString();
        if (!string.IsNullOrEmpty(localDomain))
            LocalDomain = localDomain;
    }

    public SmtpWireLogger Wire { get; }

    public SmtpServerEndpoint Endpoint { get; }

    /// <summary><c>host:port</c>, computed once for every result and error of this connection.</summary>
    public string Server { get; }

    /// <summary>Messages this connection has carried.</summary>
    public int MessagesSent { get; set; }

    /// <summary>When it was last handed back to the pool (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LastReturned { get; set; }

    public IReadOnlyList<RecipientResult> Recipients => recipients;

    public void BeginMessage()
    {
        recipients.Clear();
        Wire.BeginMessage();
    }

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        recipients.Add(SmtpReplies.ToRecipientResult(mailbox.Address, accepted: true, response));

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        recipients.Add(SmtpReplies.ToRecipientResult(mailbox.Address, accepted: false, response));

    protected override void OnNoRecipientsAccepted(MimeMessage message) =>
        throw new NoRecipientsAcceptedException();
}

/// <summary>Thrown from inside MailKit's send when every recipient was refused; the replies are on the client.</summary>
internal sealed class NoRecipientsAcceptedException : Exception
{
    public NoRecipientsAcceptedException()
        : base("The server accepted none of the recipients.")
    {
    }

    public NoRecipientsAcceptedException(string message)
        : base(message)
    {
    }

    public NoRecipientsAcceptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
