using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Signs and encrypts outgoing mail with PGP/MIME (RFC 3156) at <see cref="OutgoingMailFilterStage.Encryption"/>:
/// multipart/signed, multipart/encrypted, or both at once (one OpenPGP message that is signed and encrypted, RFC 3156
/// 6.2). Encryption is to every envelope recipient, Bcc included, and to the sender's own key; the headers (Subject
/// too) stay readable, as PGP/MIME leaves them.
/// </summary>
internal sealed class OpenPgpFilter : IOutgoingMailFilter
{
    private readonly OpenPgpOptions options;
    private readonly OpenPgpKeyring keyring;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;

    public OpenPgpFilter(IOptions<OpenPgpOptions> options, OpenPgpKeyringHolder holder, TimeProvider timeProvider, ILogger logger)
    {
        // Reading Value runs the validator, which loads the keys (once) when the host did not start it already.
        this.options = options.Value;
        keyring = holder.Keyring ?? throw new InvalidOperationException("The OpenPGP keys were not loaded: the Mailing:OpenPgp options were not validated.");
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    public OutgoingMailFilterStage Stage => OutgoingMailFilterStage.Encryption;

    public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        cancellationToken.ThrowIfCancellationRequested();

        var message = mail.Message;
        var messageId = message.MessageId ?? string.Empty;
        if (message.Body is MultipartSigned or MultipartEncrypted or null)
        {
            // Signed or encrypted already (the same message sent again, or protected by the application itself).
            OpenPgpLog.AlreadyProtected(logger, messageId);
            return ValueTask.CompletedTask;
        }

        var now = timeProvider.GetUtcNow();
        var from = message.From.Mailboxes.FirstOrDefault();
        var signer = ChooseSigner(from, now, messageId);
        var recipients = ChooseRecipients(mail, from, now, messageId);
        if (signer is null && recipients is null)
            return ValueTask.CompletedTask;

        using var context = new OpenPgpKeyringContext(keyring, now);
        try
        {
            message.Body = (signer, recipients) switch
            {
                ({ } key, { } keys) => MultipartEncrypted.SignAndEncrypt(context, key, options.DigestAlgorithm, options.EncryptionAlgorithm, keys, message.Body, cancellationToken),
                (null, { } keys) => MultipartEncrypted.Encrypt(context, options.EncryptionAlgorithm, keys, message.Body, cancellationToken),
                ({ } key, null) => MultipartSigned.Create(context, key, options.DigestAlgorithm, message.Body, cancellationToken),
                _ => message.Body,
            };
        }
        catch (Exception ex) when (ex is PgpException or IOException or ArgumentException or InvalidOperationException or NotSupportedException or PrivateKeyNotFoundException or PublicKeyNotFoundException)
        {
            // No message text of the OpenPGP library: it could name key material; the type says enough to look further.
            OpenPgpLog.ProtectFailed(logger, messageId, ex.GetType().Name);
            throw new MailDeliveryException(
                $"Message {messageId} was not sent: OpenPGP {(recipients is null ? "signing" : "encryption")} failed ({ex.GetType().Name}).",
                "openpgp_failed", 0, null, isTransient: false, maybeDelivered: false, null, null, 0);
        }

        KeepArmorAsIs(message.Body);
        OpenPgpLog.Protected(logger, messageId, signer is not null, recipients?.Count ?? 0);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The version part and the armored OpenPGP data are 7-bit text with short lines, and stay so on the wire: MailKit
    /// prepares unencrypted-looking mail for 7-bit transport and would wrap these non-text parts in base64, which some
    /// readers do not undo. Each part is replaced by one that keeps its 7-bit encoding whatever prepares it.
    /// </summary>
    private static void KeepArmorAsIs(MimeEntity body)
    {
        if (body is not MultipartEncrypted encrypted)
            return;
        for (var i = 0; i < encrypted.Count; i++)
        {
            if (encrypted[i] is not MimePart part)
                continue;
            var armored = new ArmoredPart(part.ContentType)
            {
                Content = part.Content,
                ContentTransferEncoding = ContentEncoding.SevenBit,
            };
            if (part.ContentDisposition is { } disposition)
                armored.ContentDisposition = disposition;
            encrypted[i] = armored;
        }
    }

    /// <summary>A part of ASCII armor (or the version line) that is never re-encoded: it is 7-bit with lines under 78 characters.</summary>
    private sealed class ArmoredPart(ContentType contentType) : MimePart(contentType)
    {
        public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78)
        {
        }
    }

    private PgpSecretKey? ChooseSigner(MailboxAddress? from, DateTimeOffset now, string messageId)
    {
        if (options.Sign == OpenPgpSignPolicy.Never)
            return null;
        string? why = "the message has no From address";
        var key = from is null ? null : keyring.SigningKeyFor(from.Address, now, out why);
        if (key is not null)
            return key;
        if (options.Sign == OpenPgpSignPolicy.Always)
        {
            OpenPgpLog.RefusedUnsigned(logger, messageId);
            throw new MailDeliveryException(
                $"Message {messageId} was not sent: Mailing:OpenPgp:Sign is Always, and From {from?.Address ?? "(none)"} has no usable OpenPGP signing key ({why}).",
                "openpgp_no_signing_key", 0, null, isTransient: false, maybeDelivered: false, null, null, 0);
        }

        OpenPgpLog.NotSigned(logger, messageId, why ?? string.Empty);
        return null;
    }

    /// <summary>The keys to encrypt to, or <see langword="null"/> when the message goes unencrypted.</summary>
    private List<PgpPublicKey>? ChooseRecipients(OutgoingMail mail, MailboxAddress? from, DateTimeOffset now, string messageId)
    {
        if (options.Encrypt == OpenPgpEncryptPolicy.Never)
            return null;

        var keys = new List<PgpPublicKey>();
        var missing = new List<string>();
        foreach (var recipient in mail.Envelope.Recipients)
        {
            var key = keyring.EncryptionKeyFor(recipient.Address, now, out var why);
            if (key is null)
                missing.Add($"{recipient.Address} ({why})");
            else if (keys.All(k => k.KeyId != key.KeyId))
                keys.Add(key);
        }

        if (missing.Count > 0)
        {
            if (options.Encrypt == OpenPgpEncryptPolicy.Always)
            {
                OpenPgpLog.RefusedUnencrypted(logger, messageId, missing.Count);
                throw new MailDeliveryException(
                    $"Message {messageId} was not sent: Mailing:OpenPgp:Encrypt is Always, and these recipients have no usable OpenPGP key: {string.Join(", ", missing)}.",
                    "openpgp_no_recipient_key", 0, null, isTransient: false, maybeDelivered: false, null, null, 0);
            }

            OpenPgpLog.NotEncrypted(logger, messageId, missing.Count);
            return null;
        }

        if (options.EncryptToSender && from is not null && keyring.EncryptionKeyFor(from.Address, now, out _) is { } own && keys.All(k => k.KeyId != own.KeyId))
            keys.Add(own);
        return keys;
    }
}

/// <summary>Where the validator leaves the keys it loaded, for the filter and the unprotector; one per container.</summary>
internal sealed class OpenPgpKeyringHolder
{
    private OpenPgpKeyring? keyring;

    public OpenPgpKeyring? Keyring => Volatile.Read(ref keyring);

    public void Set(OpenPgpKeyring loaded) => Interlocked.CompareExchange(ref keyring, loaded, null);
}

internal static partial class OpenPgpLog
{
    [LoggerMessage(EventId = 8450, Level = LogLevel.Debug, Message = "Message {MessageId} protected with OpenPGP: signed {Signed}, encrypted to {KeyCount} key(s)")]
    public static partial void Protected(ILogger logger, string messageId, bool signed, int keyCount);

    [LoggerMessage(EventId = 8451, Level = LogLevel.Debug, Message = "Message {MessageId} sent without an OpenPGP signature: {Reason}")]
    public static partial void NotSigned(ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = 8452, Level = LogLevel.Debug, Message = "Message {MessageId} sent unencrypted: {MissingCount} recipient(s) have no usable OpenPGP key")]
    public static partial void NotEncrypted(ILogger logger, string messageId, int missingCount);

    [LoggerMessage(EventId = 8453, Level = LogLevel.Warning, Message = "Message {MessageId} refused: no OpenPGP signing key for its From address and a signature is required")]
    public static partial void RefusedUnsigned(ILogger logger, string messageId);

    [LoggerMessage(EventId = 8454, Level = LogLevel.Warning, Message = "Message {MessageId} refused: {MissingCount} recipient(s) have no usable OpenPGP key and encryption is required")]
    public static partial void RefusedUnencrypted(ILogger logger, string messageId, int missingCount);

    [LoggerMessage(EventId = 8455, Level = LogLevel.Error, Message = "Message {MessageId} refused: OpenPGP signing or encryption failed ({ErrorType})")]
    public static partial void ProtectFailed(ILogger logger, string messageId, string errorType);

    [LoggerMessage(EventId = 8456, Level = LogLevel.Debug, Message = "Message {MessageId} is signed or encrypted already; OpenPGP leaves it as it is")]
    public static partial void AlreadyProtected(ILogger logger, string messageId);

    [LoggerMessage(EventId = 8457, Level = LogLevel.Information, Message = "OpenPGP loaded {PublicCount} public keyring(s) and {SecretCount} secret keyring(s)")]
    public static partial void Loaded(ILogger logger, int publicCount, int secretCount);

    [LoggerMessage(EventId = 8458, Level = LogLevel.Debug, Message = "OpenPGP content opened: {Kind}, {SignatureCount} signature(s), decryption error: {DecryptionError}")]
    public static partial void Opened(ILogger logger, string kind, int signatureCount, string? decryptionError);
}
