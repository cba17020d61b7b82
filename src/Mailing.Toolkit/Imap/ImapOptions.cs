using Mailing.Toolkit.Net;

namespace Mailing.Toolkit.Imap;

/// <summary>
/// The IMAP account the mailbox manager (and the IMAP receiver) connects to, bound from <c>Mailing:Imap</c>.
/// Every value has a safe default; <see cref="MailServerOptions.Host"/> and <see cref="MailServerOptions.UserName"/> are required.
/// </summary>
public sealed class ImapOptions : MailServerOptions
{
    private protected override string Protocol => "IMAP";

    private protected override int? SslPort => 993;

    private protected override int StandardPort => 143;
}
