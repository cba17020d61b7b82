using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Opens PGP/MIME layers (RFC 3156) for the parser: multipart/signed with protocol application/pgp-signature is
/// verified, multipart/encrypted with protocol application/pgp-encrypted is decrypted with the configured secret keys
/// (and the signatures inside a signed and encrypted message are checked too). Inline PGP (armored text in a plain
/// body) is not read. Nothing here throws for bad content: every failure becomes a signature status or a decryption error.
/// </summary>
internal sealed class OpenPgpUnprotector(OpenPgpKeyring keyring, long maxDecryptedSize, TimeProvider timeProvider, ILogger logger) : IContentUnprotector
{
    private static readonly ParserOptions DecryptedParserOptions = new() { RespectContentLength = false };

    public bool Handles(MimeEntity entity) => entity switch
    {
        MultipartSigned signed => IsProtocol(signed, "pgp-signature"),
        MultipartEncrypted encrypted => IsProtocol(encrypted, "pgp-encrypted"),
        _ => false,
    };

    public ContentLayer Open(MimeEntity entity, CancellationToken cancellationToken)
    {
        var layer = entity switch
        {
            MultipartSigned signed => Verify(signed, cancellationToken),
            MultipartEncrypted encrypted => Decrypt(encrypted, cancellationToken),
            _ => new ContentLayer(null, []),
        };
        OpenPgpLog.Opened(logger, entity is MultipartSigned ? "signed" : "encrypted", layer.Signatures.Count, layer.DecryptionError);
        return layer;
    }

    private ContentLayer Verify(MultipartSigned signed, CancellationToken cancellationToken)
    {
        var content = signed.Count > 0 ? signed[0] : null;
        if (signed.Count != 2 || signed[1] is not MimePart)
            return new ContentLayer(content, [Error($"the multipart/signed has {signed.Count} part(s); RFC 3156 wants the content and one application/pgp-signature part")]);

        var now = timeProvider.GetUtcNow();
        DigitalSignatureCollection signatures;
        try
        {
            using var context = new OpenPgpKeyringContext(keyring, now);
            signatures = signed.Verify(context, cancellationToken);
        }
        catch (Exception ex) when (IsContentError(ex))
        {
            return new ContentLayer(content, [Error($"the signature part is not a readable OpenPGP signature ({ex.GetType().Name})")]);
        }

        var results = Describe(signatures, now);
        return new ContentLayer(content, results.Count > 0 ? results : [Error("the signature part holds no OpenPGP signature")]);
    }

    private ContentLayer Decrypt(MultipartEncrypted encrypted, CancellationToken cancellationToken)
    {
        if (encrypted.Count != 2 || encrypted[1] is not MimePart { Content: not null } payload)
            return Undecrypted($"the multipart/encrypted has {encrypted.Count} part(s); RFC 3156 wants a version part and one application/octet-stream part");

        var now = timeProvider.GetUtcNow();
        try
        {
            using var encryptedData = new MemoryStream();
            payload.Content.DecodeTo(encryptedData, cancellationToken);
            encryptedData.Position = 0;
            if (CheckKeys(encryptedData) is { } error)
                return Undecrypted(error);
            encryptedData.Position = 0;

            using var context = new OpenPgpKeyringContext(keyring, now);
            using var decrypted = new BoundedStream(maxDecryptedSize);
            var signatures = context.DecryptTo(encryptedData, decrypted, cancellationToken);
            decrypted.Position = 0;
            var content = MimeEntity.Load(DecryptedParserOptions, decrypted, persistent: false, cancellationToken);
            return new ContentLayer(content, signatures is null ? [] : Describe(signatures, now), ContentProtectionScheme.OpenPgp);
        }
        catch (DecryptedTooLargeException)
        {
            return Undecrypted($"the decrypted content is larger than Mailing:OpenPgp:MaxDecryptedSize ({maxDecryptedSize} bytes)");
        }
        catch (Exception ex) when (IsContentError(ex))
        {
            return Undecrypted($"the encrypted part could not be decrypted ({ex.GetType().Name}: {OpenPgpKeyring.Printable(ex.Message)})");
        }
    }

    /// <summary>
    /// Reads the recipients' key ids from the encrypted data before decrypting, so that a message for somebody else and a
    /// passphrase that does not unlock our key each get a clear reason. Returns the reason, or <see langword="null"/>.
    /// </summary>
    private string? CheckKeys(Stream encryptedData)
    {
        PgpEncryptedDataList? list = null;
        try
        {
            // The encrypted data list comes first, after at most a marker packet or two.
            var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(encryptedData));
            for (var read = 0; read < 4 && list is null; read++)
            {
                var next = factory.NextPgpObject();
                if (next is null)
                    break;
                list = next as PgpEncryptedDataList;
            }
        }
        catch (Exception ex) when (IsContentError(ex))
        {
            return $"the encrypted part is not a readable OpenPGP message ({ex.GetType().Name})";
        }

        if (list is null)
            return "the encrypted part holds no OpenPGP encrypted data";

        var keyIds = new List<long>();
        foreach (PgpEncryptedData data in list.GetEncryptedDataObjects())
        {
            if (data is not PgpPublicKeyEncryptedData publicKeyData)
                continue;
            keyIds.Add(publicKeyData.KeyId);
            var secret = keyring.SecretKeys.GetSecretKey(publicKeyData.KeyId);
            if (secret is null || secret.IsPrivateKeyEmpty)
                continue;
            try
            {
                secret.ExtractPrivateKey(keyring.PassphraseOf(secret.KeyId).ToCharArray());
                return null;
            }
            catch (Exception ex) when (IsContentError(ex))
            {
                return $"the configured passphrase does not unlock secret key {OpenPgpKeyring.KeyIdText(secret.KeyId)}, which the message is encrypted to";
            }
        }

        if (keyIds.Count == 0)
            return "the message is encrypted with a passphrase only, not to a public key; it cannot be decrypted with a secret key";
        return $"no configured secret key matches the message's recipients (key ids {string.Join(", ", keyIds.Select(k => k == 0 ? "hidden" : OpenPgpKeyring.KeyIdText(k)))})";
    }

    private static ContentSignature Error(string reason) =>
        new(ContentProtectionScheme.OpenPgp, ContentSignatureStatus.Error, null, null, null, null, reason);

    private static ContentLayer Undecrypted(string reason) => new(null, [], ContentProtectionScheme.OpenPgp, reason);

    private static List<ContentSignature> Describe(DigitalSignatureCollection signatures, DateTimeOffset now)
    {
        var results = new List<ContentSignature>();
        foreach (var signature in signatures)
            results.Add(Describe(signature, now));
        return results;
    }

    private static ContentSignature Describe(IDigitalSignature signature, DateTimeOffset now)
    {
        DateTimeOffset? signedAt = signature.CreationDate == default
            ? null
            : new DateTimeOffset(DateTime.SpecifyKind(signature.CreationDate, DateTimeKind.Utc));
        if (signature.SignerCertificate is not OpenPgpDigitalCertificate certificate)
        {
            var keyId = KeyIdOf(signature);
            return new ContentSignature(ContentProtectionScheme.OpenPgp, ContentSignatureStatus.UnknownSigner, null, null, null, signedAt,
                $"no public key for key id {(keyId is { } id ? OpenPgpKeyring.KeyIdText(id) : "(unknown)")} in the configured keyring");
        }

        var primary = certificate.KeyRing.GetPublicKey();
        var key = certificate.PublicKey;
        var (name, address) = OpenPgpKeyring.Identity(primary);
        var fingerprint = OpenPgpKeyring.Fingerprint(primary);
        ContentSignature Result(ContentSignatureStatus status, string? reason) =>
            new(ContentProtectionScheme.OpenPgp, status, address, name, fingerprint, signedAt, reason);

        bool valid;
        try
        {
            valid = signature.Verify();
        }
        catch (Exception ex) when (IsContentError(ex) || ex is DigitalSignatureVerifyException)
        {
            return Result(ContentSignatureStatus.Error, $"the signature by key {OpenPgpKeyring.KeyIdText(key.KeyId)} could not be checked ({ex.GetType().Name})");
        }

        if (!valid)
            return Result(ContentSignatureStatus.Invalid, $"the content does not match the signature by key {OpenPgpKeyring.KeyIdText(key.KeyId)}: it was changed after it was signed");
        if (OpenPgpKeyring.Unusable(primary, key, now) is { } unusable)
            return Result(ContentSignatureStatus.UntrustedSigner, unusable);
        if (!OpenPgpKeyring.CanSign(primary, key))
            return Result(ContentSignatureStatus.UntrustedSigner, $"key {OpenPgpKeyring.KeyIdText(key.KeyId)} is not certified for signing");
        return Result(ContentSignatureStatus.Valid, null);
    }

    /// <summary>The key id of a signature whose key is not known: MimeKit says it when asked to verify.</summary>
    private static long? KeyIdOf(IDigitalSignature signature)
    {
        try
        {
            signature.Verify();
            return null;
        }
        catch (DigitalSignatureVerifyException ex)
        {
            return ex.KeyId;
        }
        catch (Exception ex) when (IsContentError(ex))
        {
            return null;
        }
    }

    private static bool IsProtocol(Multipart multipart, string subtype)
    {
        var protocol = multipart.ContentType.Parameters["protocol"]?.Trim().ToLowerInvariant();
        return protocol == "application/" + subtype || protocol == "application/x-" + subtype;
    }

    /// <summary>What reading untrusted OpenPGP data can throw; anything else (out of memory, cancellation) goes on.</summary>
    private static bool IsContentError(Exception ex) => ex is PgpException or IOException or FormatException or ArgumentException
        or InvalidOperationException or InvalidCastException or NotSupportedException or IndexOutOfRangeException or OverflowException
        or PrivateKeyNotFoundException or PublicKeyNotFoundException or Org.BouncyCastle.Crypto.CryptoException
        or Org.BouncyCastle.Security.SecurityUtilityException or ParseException;

    /// <summary>A memory stream that refuses to grow past a limit (a decompression bomb stops there).</summary>
    private sealed class BoundedStream(long limit) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            Check(count);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Check(buffer.Length);
            base.Write(buffer);
        }

        public override void WriteByte(byte value)
        {
            Check(1);
            base.WriteByte(value);
        }

        private void Check(int count)
        {
            if (Length + count > limit)
                throw new DecryptedTooLargeException();
        }
    }

    private sealed class DecryptedTooLargeException : Exception;
}
