using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Cryptography;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Signs and encrypts outgoing mail with S/MIME, at <see cref="OutgoingMailFilterStage.Encryption"/> (after every
/// content filter, before DKIM). Signing makes a detached multipart/signed, readable by clients without S/MIME;
/// encrypting wraps the body (signed first when both apply) in application/pkcs7-mime enveloped-data for every
/// envelope recipient, Bcc included, and the sender. Only the body changes: the headers (Subject included) stay as they
/// are and readable, and Bcc recipients stay out of them.
/// </summary>
internal sealed class SMimeFilter(SMimeKeyStore store, SMimeOptions options, TimeProvider timeProvider, ILogger logger) : IOutgoingMailFilter
{
    public OutgoingMailFilterStage Stage => OutgoingMailFilterStage.Encryption;

    public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        cancellationToken.ThrowIfCancellationRequested();
        var message = mail.Message;
        var messageId = message.MessageId ?? string.Empty;
        if (message.Body is null || IsProtected(message.Body))
        {
            // Sent again, or protected by the caller already: wrapping it a second time would help nobody.
            SMimeLog.AlreadyProtected(logger, messageId);
            return ValueTask.CompletedTask;
        }

        var now = timeProvider.GetUtcNow().UtcDateTime;
        var from = message.From.Mailboxes.FirstOrDefault()?.Address;
        var identity = from is null ? null : store.SignerFor(from, now);

        var sign = options.Sign switch
        {
            SMimeSignPolicy.Always => identity ?? throw Refused(messageId, "smime_no_signing_key",
                $"Message {messageId} was not sent: Mailing:SMime:Sign is Always and no valid S/MIME identity signs for its From address '{from ?? "(none)"}'. Add one to Mailing:SMime:Identities (or renew an expired one)."),
            SMimeSignPolicy.WhenKeyAvailable => identity,
            _ => null,
        };

        var recipients = mail.Envelope.Recipients.Select(r => r.Address).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var certificates = recipients.Select(r => (Address: r, Certificate: store.RecipientFor(r, now))).ToArray();
        var missing = certificates.Where(c => c.Certificate is null).Select(c => c.Address).ToArray();
        var encrypt = options.Encrypt switch
        {
            SMimeEncryptPolicy.Always when missing.Length > 0 || recipients.Length == 0 => throw Refused(messageId, "smime_no_recipient_certificate",
                $"Message {messageId} was not sent: Mailing:SMime:Encrypt is Always and {(recipients.Length == 0 ? "it has no recipient" : $"no valid S/MIME certificate is configured for {string.Join(", ", missing)}")}. Add their certificates to Mailing:SMime:RecipientCertificatesPath, or send without them."),
            SMimeEncryptPolicy.Always => true,
            SMimeEncryptPolicy.WhenAllRecipientsHaveCertificates => missing.Length == 0 && recipients.Length > 0,
            _ => false,
        };
        if (options.Encrypt == SMimeEncryptPolicy.WhenAllRecipientsHaveCertificates && !encrypt)
            SMimeLog.NotEncrypted(logger, messageId, missing.Length);

        if (sign is null && !encrypt)
        {
            SMimeLog.Unchanged(logger, messageId);
            return ValueTask.CompletedTask;
        }

        using var context = new SMimeContext(store, now, SMimeFilterAlgorithms.Encryption(options.EncryptionAlgorithm));
        var body = message.Body;
        if (sign is not null)
        {
            var signer = new CmsSigner(sign.Chain, sign.PrivateKey) { DigestAlgorithm = SMimeFilterAlgorithms.Digest(options.DigestAlgorithm) };
            body = MultipartSigned.Create(context, signer, body, cancellationToken);
            SMimeLog.Signed(logger, messageId, SMimeCertificates.Thumbprint(sign.Certificate));
        }

        if (encrypt)
        {
            var collection = new CmsRecipientCollection();
            var algorithm = SMimeFilterAlgorithms.Encryption(options.EncryptionAlgorithm);
            var added = new HashSet<Org.BouncyCastle.X509.X509Certificate>();
            foreach (var (_, certificate) in certificates)
            {
                if (added.Add(certificate!))
                    collection.Add(new CmsRecipient(certificate!) { EncryptionAlgorithms = [algorithm] });
            }

            if (options.EncryptToSender && from is not null && store.RecipientFor(from, now) is { } own && added.Add(own))
                collection.Add(new CmsRecipient(own) { EncryptionAlgorithms = [algorithm] });
            body = ApplicationPkcs7Mime.Encrypt(context, collection, body, cancellationToken);
            SMimeLog.Encrypted(logger, messageId, collection.Count, options.EncryptionAlgorithm.ToString());
        }

        message.Body = body;
        return ValueTask.CompletedTask;
    }

    private static bool IsProtected(MimeEntity body) =>
        body is MultipartSigned || body is ApplicationPkcs7Mime || body is MultipartEncrypted;

    private MailDeliveryException Refused(string messageId, string errorType, string text)
    {
        SMimeLog.Refused(logger, messageId, errorType);
        return new MailDeliveryException(text, errorType, 0, null, isTransient: false, maybeDelivered: false, null, null, 0);
    }
}

/// <summary>The MimeKit algorithms of the options; only strong ones can be configured.</summary>
internal static class SMimeFilterAlgorithms
{
    public static EncryptionAlgorithm Encryption(SMimeEncryptionAlgorithm algorithm) => algorithm switch
    {
        SMimeEncryptionAlgorithm.Aes128 => EncryptionAlgorithm.Aes128,
        SMimeEncryptionAlgorithm.Aes192 => EncryptionAlgorithm.Aes192,
        _ => EncryptionAlgorithm.Aes256,
    };

    public static DigestAlgorithm Digest(SMimeDigestAlgorithm algorithm) => algorithm switch
    {
        SMimeDigestAlgorithm.Sha384 => DigestAlgorithm.Sha384,
        SMimeDigestAlgorithm.Sha512 => DigestAlgorithm.Sha512,
        _ => DigestAlgorithm.Sha256,
    };
}

internal static partial class SMimeLog
{
    [LoggerMessage(EventId = 8300, Level = LogLevel.Debug, Message = "Message {MessageId} signed with S/MIME certificate {Thumbprint}")]
    public static partial void Signed(ILogger logger, string messageId, string thumbprint);

    [LoggerMessage(EventId = 8301, Level = LogLevel.Debug, Message = "Message {MessageId} encrypted with S/MIME to {Count} certificate(s) ({Algorithm})")]
    public static partial void Encrypted(ILogger logger, string messageId, int count, string algorithm);

    [LoggerMessage(EventId = 8302, Level = LogLevel.Debug, Message = "Message {MessageId} sent unencrypted: {Missing} recipient(s) have no S/MIME certificate")]
    public static partial void NotEncrypted(ILogger logger, string messageId, int missing);

    [LoggerMessage(EventId = 8303, Level = LogLevel.Warning, Message = "Message {MessageId} refused by the S/MIME policy ({ErrorType})")]
    public static partial void Refused(ILogger logger, string messageId, string errorType);

    [LoggerMessage(EventId = 8304, Level = LogLevel.Debug, Message = "Message {MessageId} sent without S/MIME: no signing identity or encryption applies")]
    public static partial void Unchanged(ILogger logger, string messageId);

    [LoggerMessage(EventId = 8305, Level = LogLevel.Debug, Message = "Message {MessageId} already carries a signed or encrypted body; S/MIME leaves it as it is")]
    public static partial void AlreadyProtected(ILogger logger, string messageId);

    [LoggerMessage(EventId = 8306, Level = LogLevel.Information, Message = "S/MIME loaded {Identities} identity(ies), {Recipients} recipient certificate(s), {Anchors} trust anchor(s)")]
    public static partial void Loaded(ILogger logger, int identities, int recipients, int anchors);

    [LoggerMessage(EventId = 8307, Level = LogLevel.Debug, Message = "S/MIME signature by {Thumbprint}: {Status} {Reason}")]
    public static partial void Verified(ILogger logger, ContentSignatureStatus status, string thumbprint, string reason);

    [LoggerMessage(EventId = 8308, Level = LogLevel.Debug, Message = "S/MIME {What} could not be read ({ErrorType})")]
    public static partial void Unreadable(ILogger logger, string what, string errorType);
}
