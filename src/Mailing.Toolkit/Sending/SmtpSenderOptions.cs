using Mailing.Toolkit.Net;

namespace Mailing.Toolkit.Sending;

/// <summary>
/// Settings of the pooled SMTP sender, bound from <c>Mailing:Smtp</c> (or <c>Mailing:Senders:{name}</c>
/// for a keyed sender). Every value has a safe default; only <see cref="MailServerOptions.Host"/> is required. Without
/// <see cref="MailServerOptions.UserName"/> the sender does not authenticate (a trusted relay).
/// </summary>
public sealed class SmtpSenderOptions : MailServerOptions
{
    /// <summary>Servers tried in order when the primary cannot be reached (same credentials).</summary>
    public IList<SmtpServerEndpoint> FailoverServers { get; } = new List<SmtpServerEndpoint>();

    /// <summary>How long a server that failed to connect is skipped in favour of the next one.</summary>
    public TimeSpan FailoverCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The name announced in EHLO; the machine name when empty.</summary>
    public string? LocalDomain { get; set; }

    /// <summary>The most connections open at once; also the most concurrent sends.</summary>
    public int MaxConnections { get; set; } = 4;

    /// <summary>Messages sent over one connection before it is closed and replaced.</summary>
    public int MaxMessagesPerConnection { get; set; } = 100;

    /// <summary>An unused connection is closed after this long.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per message, the first included; transient failures only are retried.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The delay before the first retry; it doubles with each attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most messages per second across the whole pool; 0 (the default) means no limit.</summary>
    public double MaxMessagesPerSecond { get; set; }

    private protected override string Protocol => "SMTP";

    private protected override int? SslPort => 465;

    private protected override int StandardPort => 587;

    internal IEnumerable<SmtpServerEndpoint> AllEndpoints()
    {
        yield return new SmtpServerEndpoint { Host = Host, Port = Port, Security = Security };
        foreach (var endpoint in FailoverServers)
            yield return endpoint;
    }
}
