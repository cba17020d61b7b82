using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Signs each outgoing message with every key of its From domain, at <see cref="OutgoingMailFilterStage.Signature"/>,
/// so after every other filter. The message is first prepared for a 7-bit transport, the way MailKit's SmtpClient
/// would prepare an unsigned one (it leaves a signed message as it is), so no transport re-encodes what was signed.
/// </summary>
internal sealed class DkimSigningFilter : IOutgoingMailFilter
{
    /// <summary>
    /// The format every transport writes with, as <see cref="OutgoingMail.WriteToAsync"/>: CRLF, Bcc and Resent-Bcc
    /// hidden, no SMTPUTF8 re-encoding of headers (MailKit turns that off for a signed message too).
    /// </summary>
    private static readonly FormatOptions WireFormat = CreateWireFormat();

    private readonly DkimKeyRing ring;
    private readonly bool requireSignature;
    private readonly ILogger logger;

    public DkimSigningFilter(IOptions<DkimSigningOptions> options, DkimKeyRingHolder holder, ILogger logger)
    {
        // Reading Value runs the validator, which loads the keys (once) when the host did not start it already.
        requireSignature = options.Value.RequireSignature;
        ring = holder.Ring ?? throw new InvalidOperationException("The DKIM keys were not loaded: the Mailing:Dkim options were not validated.");
        this.logger = logger;
        DkimSigningLog.Loaded(logger, ring.Keys.Count, string.Join(", ", ring.Keys.Select(k => $"{k.Selector}._domainkey.{k.Domain} ({k.Algorithm})")));
    }

    public OutgoingMailFilterStage Stage => OutgoingMailFilterStage.Signature;

    public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        cancellationToken.ThrowIfCancellationRequested();

        var message = mail.Message;
        var messageId = message.MessageId ?? string.Empty;
        var domain = DkimKeyRing.DomainOf(message);
        var keys = domain is null ? [] : ring.For(domain);
        if (keys.Length == 0)
        {
            if (requireSignature)
            {
                DkimSigningLog.Refused(logger, messageId, domain ?? "(none)");
                throw new MailDeliveryException(
                    $"Message {messageId} was not sent: no DKIM key signs its From domain '{domain ?? "(none)"}', and Mailing:Dkim:RequireSignature is true. Add a key for the domain, or send from a signed one.",
                    "dkim_no_key", 0, null, isTransient: false, maybeDelivered: false, null, null, 0);
            }

            DkimSigningLog.NotSigned(logger, messageId, domain ?? "(none)");
            return ValueTask.CompletedTask;
        }

        // What MailKit would do to an unsigned message, done here once so the signed bytes are the sent bytes:
        // 8-bit and binary parts and overlong lines become quoted-printable or base64.
        message.Prepare(EncodingConstraint.SevenBit);
        RemoveOwnSignatures(message, keys);
        var fields = ring.Headers.For(message);
        foreach (var key in keys)
        {
            key.Signer.Sign(WireFormat, message, fields);
            DkimSigningLog.Signed(logger, messageId, key.Domain, key.Selector, key.Algorithm);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A message sent again (the same <see cref="MimeMessage"/> given to a sender twice) would carry the first
    /// signature of each key, stale once anything changed; only signatures with our own d= and s= are removed.
    /// </summary>
    private static void RemoveOwnSignatures(MimeMessage message, DkimKey[] keys)
    {
        for (var i = message.Headers.Count - 1; i >= 0; i--)
        {
            var header = message.Headers[i];
            if (header.Id != HeaderId.DkimSignature)
                continue;
            var (d, s) = DomainAndSelector(header.Value);
            if (keys.Any(k => string.Equals(k.Domain, d, StringComparison.OrdinalIgnoreCase) && string.Equals(k.Selector, s, StringComparison.OrdinalIgnoreCase)))
                message.Headers.RemoveAt(i);
        }
    }

    private static (string? Domain, string? Selector) DomainAndSelector(string value)
    {
        string? d = null, s = null;
        foreach (var tag in value.Split(';'))
        {
            var eq = tag.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
                continue;
            var name = tag[..eq].Trim();
            var text = string.Concat(tag[(eq + 1)..].Where(c => !char.IsWhiteSpace(c)));
            if (name == "d")
                d = text;
            else if (name == "s")
                s = text;
        }

        return (d, s);
    }

    private static FormatOptions CreateWireFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = false;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        return format;
    }
}

/// <summary>Where the validator leaves the keys it loaded, for the filter; one per container.</summary>
internal sealed class DkimKeyRingHolder
{
    private DkimKeyRing? ring;

    public DkimKeyRing? Ring => Volatile.Read(ref ring);

    public void Set(DkimKeyRing loaded) => Interlocked.CompareExchange(ref ring, loaded, null);
}

internal static partial class DkimSigningLog
{
    [LoggerMessage(EventId = 8100, Level = LogLevel.Debug, Message = "Message {MessageId} signed with DKIM for {Domain}, selector {Selector} ({Algorithm})")]
    public static partial void Signed(ILogger logger, string messageId, string domain, string selector, string algorithm);

    [LoggerMessage(EventId = 8101, Level = LogLevel.Debug, Message = "Message {MessageId} sent without a DKIM signature: no key for its From domain {Domain}")]
    public static partial void NotSigned(ILogger logger, string messageId, string domain);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Warning, Message = "Message {MessageId} refused: no DKIM key for its From domain {Domain} and a signature is required")]
    public static partial void Refused(ILogger logger, string messageId, string domain);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Information, Message = "DKIM signing loaded {Count} key(s): {Keys}")]
    public static partial void Loaded(ILogger logger, int count, string keys);
}
