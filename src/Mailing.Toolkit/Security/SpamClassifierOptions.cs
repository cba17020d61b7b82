namespace Mailing.Toolkit.Security;

/// <summary>What a spam classifier does when its scanner is down, too slow, or answers something that is not a verdict.</summary>
public enum SpamFailureMode
{
    /// <summary>Return a <see cref="SpamAction.NoAction"/> verdict whose <see cref="SpamVerdict.Origin"/> is
    /// <see cref="SpamVerdictOrigin.Failure"/>, and log a warning: mail keeps flowing unchecked while the scanner is away.</summary>
    FailOpen,

    /// <summary>Throw <see cref="SpamCheckException"/>: nothing passes unchecked; the inbound pipeline retries the message,
    /// then quarantines it.</summary>
    FailClosed,
}

/// <summary>The spamd command SpamAssassin's client sends; each returns the score and threshold, and differs in the rules listed.</summary>
public enum SpamdCommand
{
    /// <summary><c>CHECK</c>: score and threshold only, no rules.</summary>
    Check,

    /// <summary><c>SYMBOLS</c>: the names of the rules that matched, without their points.</summary>
    Symbols,

    /// <summary><c>REPORT</c>: the rules that matched with their points and descriptions, read from spamd's report table.</summary>
    Report,
}

/// <summary>The rspamd client, bound from <c>Mailing:Rspamd</c>.</summary>
public sealed class RspamdOptions
{
    /// <summary>The base URL of rspamd's normal worker (or its controller); <c>/checkv2</c> is appended. Default
    /// <c>http://127.0.0.1:11333</c>.</summary>
    public Uri Url { get; set; } = new("http://127.0.0.1:11333");

    /// <summary>The controller password, sent in the <c>Password</c> header when set; never logged. Default none.</summary>
    public string? Password { get; set; }

    /// <summary>How long connecting may take; <see cref="Timeout"/> bounds it too. Default 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the whole check may take, connecting included. Default 15 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The largest message sent to rspamd, in bytes as written with CRLF line ends; a larger one is not sent and
    /// gets a <see cref="SpamVerdictOrigin.Skipped"/> verdict. Default 10 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>The largest reply read; a larger one is a failure (see <see cref="FailureMode"/>). Default 1 MiB.</summary>
    public int MaxResponseBytes { get; set; } = 1024 * 1024;

    /// <summary>What happens when rspamd cannot classify the message. Default <see cref="SpamFailureMode.FailOpen"/>.</summary>
    public SpamFailureMode FailureMode { get; set; } = SpamFailureMode.FailOpen;

    /// <summary>Whether <see cref="SpamCheckContext.Authentication"/> is placed above the message sent as an
    /// <c>Authentication-Results</c> header field (rspamd's protocol has no request header for it). Default true.</summary>
    public bool SendAuthenticationResults { get; set; } = true;
}

/// <summary>The SpamAssassin (spamd) client, bound from <c>Mailing:SpamAssassin</c>.</summary>
public sealed class SpamAssassinOptions
{
    /// <summary>The host spamd listens on. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The TCP port spamd listens on. Default 783.</summary>
    public int Port { get; set; } = 783;

    /// <summary>The user whose preferences spamd applies (the <c>User</c> header); spamd's default user when not set.</summary>
    public string? User { get; set; }

    /// <summary>The command sent. Default <see cref="SpamdCommand.Report"/>, which gives every rule's points.</summary>
    public SpamdCommand Command { get; set; } = SpamdCommand.Report;

    /// <summary>The score from which spam is <see cref="SpamAction.Reject"/>; spam below it is
    /// <see cref="SpamAction.AddHeader"/>, ham is <see cref="SpamAction.NoAction"/> (spamd itself only says spam or not).
    /// Default 15.</summary>
    public double RejectScore { get; set; } = 15;

    /// <summary>How long connecting may take; <see cref="Timeout"/> bounds it too. Default 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the whole check may take, connecting included. Default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest message sent to spamd, in bytes as written with CRLF line ends; a larger one is not sent and
    /// gets a <see cref="SpamVerdictOrigin.Skipped"/> verdict, as spamc does. Default 500 KiB, spamc's default.</summary>
    public int MaxMessageBytes { get; set; } = 500 * 1024;

    /// <summary>The largest reply read; a larger one is a failure (see <see cref="FailureMode"/>). Default 256 KiB.</summary>
    public int MaxResponseBytes { get; set; } = 256 * 1024;

    /// <summary>What happens when spamd cannot classify the message. Default <see cref="SpamFailureMode.FailOpen"/>.</summary>
    public SpamFailureMode FailureMode { get; set; } = SpamFailureMode.FailOpen;

    /// <summary>
    /// Whether the connection facts and <see cref="SpamCheckContext.Authentication"/> are placed above the message sent,
    /// as a <c>Received</c> and an <c>Authentication-Results</c> header field (the spamd protocol has no other way to
    /// pass them). Default true.
    /// </summary>
    public bool SendConnectionInfo { get; set; } = true;
}
