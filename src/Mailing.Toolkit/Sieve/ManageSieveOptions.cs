using Mailing.Toolkit.Net;

namespace Mailing.Toolkit.Sieve;

/// <summary>
/// The ManageSieve server (RFC 5804) and login, bound from <c>Mailing:ManageSieve</c>. The default port is 4190 with
/// STARTTLS required (<see cref="MailServerOptions.Security"/> <c>Auto</c>); <see cref="MailServerOptions.Host"/> and
/// <see cref="MailServerOptions.UserName"/> are required.
/// </summary>
public sealed class ManageSieveOptions : MailServerOptions
{
    /// <summary>
    /// The largest script (or other string) accepted from the server, in bytes: a longer one ends the session with a
    /// <see cref="ManageSieveException"/> instead of filling memory. Default 1 MiB; Dovecot's default script limit is 1 MiB too.
    /// </summary>
    public int MaxScriptSize { get; set; } = 1024 * 1024;

    private protected override string Protocol => "ManageSieve";

    private protected override int? SslPort => null;

    private protected override int StandardPort => 4190;
}
