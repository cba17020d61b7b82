using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Opens S/MIME layers for the parser: multipart/signed with an <c>application/(x-)pkcs7-signature</c>, and
/// <c>application/(x-)pkcs7-mime</c> signed-data (opaque signatures) and enveloped-data. What the layer is comes from
/// the CMS content itself, not from the smime-type parameter a sender may have left out or got wrong.
/// </summary>
internal sealed class SMimeUnprotector(SMimeKeyStore store, SMimeOptions options, TimeProvider timeProvider, ILogger logger) : IContentUnprotector
{
    private static readonly string[] SignatureProtocols = ["application/pkcs7-signature", "application/x-pkcs7-signature"];

    public bool Handles(MimeEntity entity) => entity switch
    {
        Multipart { ContentType.MediaSubtype: var subtype } multipart when subtype.Equals("signed", StringComparison.OrdinalIgnoreCase) =>
            multipart.ContentType.Parameters["protocol"] is { } protocol && SignatureProtocols.Contains(protocol.Trim(), StringComparer.OrdinalIgnoreCase),
        MimePart part => part.ContentType.MediaType.Equals("application", StringComparison.OrdinalIgnoreCase)
            && (part.ContentType.MediaSubtype.Equals("pkcs7-mime", StringComparison.OrdinalIgnoreCase) || part.ContentType.MediaSubtype.Equals("x-pkcs7-mime", StringComparison.OrdinalIgnoreCase))
            && !IsNotProtection(part.ContentType.Parameters["smime-type"]),
        _ => false,
    };

    public ContentLayer Open(MimeEntity entity, CancellationToken cancellationToken)
    {
        using var context = new SMimeContext(store, timeProvider.GetUtcNow().UtcDateTime, SMimeFilterAlgorithms.Encryption(options.EncryptionAlgorithm));
        return entity is Multipart multipart ? OpenDetached(multipart, context, cancellationToken) : OpenOpaque((MimePart)entity, context, cancellationToken);
    }

    private ContentLayer OpenDetached(Multipart multipart, SMimeContext context, CancellationToken cancellationToken)
    {
        if (multipart.Count != 2 || multipart[1] is not MimePart)
            return Broken(multipart.Count > 0 ? multipart[0] : null, "the multipart/signed does not have exactly the content and one signature part");
        try
        {
            var signed = multipart as MultipartSigned ?? throw new FormatException("not a multipart/signed");
            var signatures = signed.Verify(context, cancellationToken);
            return new ContentLayer(multipart[0], Evaluate(signatures));
        }
        catch (Exception e) when (IsContentError(e))
        {
            SMimeLog.Unreadable(logger, "signature", e.GetType().Name);
            return Broken(multipart[0], $"the signature cannot be read ({e.GetType().Name})");
        }
    }

    private ContentLayer OpenOpaque(MimePart part, SMimeContext context, CancellationToken cancellationToken)
    {
        var pkcs7 = part as ApplicationPkcs7Mime ?? new ApplicationPkcs7Mime(SecureMimeType.Unknown, new MemoryStream());
        DerObjectIdentifier? type;
        try
        {
            using var content = new MemoryStream();
            part.Content?.DecodeTo(content, cancellationToken);
            content.Position = 0;
            type = Org.BouncyCastle.Asn1.Cms.ContentInfo.GetInstance(new Asn1InputStream(content, (int)Math.Min(int.MaxValue, content.Length + 1)).ReadObject())?.ContentType;
        }
        catch (Exception e) when (IsContentError(e))
        {
            type = null;
        }

        if (type is null || part is not ApplicationPkcs7Mime)
        {
            // Unreadable: the smime-type parameter is all there is to say whether it was meant as a signature or an envelope.
            const string unreadable = "the application/pkcs7-mime content is not a CMS structure";
            return string.Equals(part.ContentType.Parameters["smime-type"]?.Trim(), "signed-data", StringComparison.OrdinalIgnoreCase)
                ? Broken(null, unreadable)
                : Undecryptable(unreadable);
        }

        if (type.Equals(PkcsObjectIdentifiers.SignedData))
        {
            try
            {
                var signatures = pkcs7.Verify(context, out var inner, cancellationToken);
                return new ContentLayer(inner, Evaluate(signatures));
            }
            catch (Exception e) when (IsContentError(e))
            {
                SMimeLog.Unreadable(logger, "signed-data", e.GetType().Name);
                return Broken(null, $"the signed-data cannot be read ({e.GetType().Name})");
            }
        }

        if (type.Equals(PkcsObjectIdentifiers.EnvelopedData))
        {
            if (CountRecipients(pkcs7, out var ours) is { } count && ours == 0)
                return Undecryptable($"no private key for any recipient of the message: it is encrypted to {count} certificate(s), none of them a configured identity (Mailing:SMime:Identities)");
            try
            {
                var inner = pkcs7.Decrypt(context, cancellationToken);
                return new ContentLayer(inner, [], ContentProtectionScheme.SMime);
            }
            catch (Exception e) when (e is PrivateKeyNotFoundException or CertificateNotFoundException)
            {
                return Undecryptable("no private key for any recipient of the message is configured (Mailing:SMime:Identities)");
            }
            catch (Exception e) when (IsContentError(e))
            {
                SMimeLog.Unreadable(logger, "enveloped-data", e.GetType().Name);
                return Undecryptable(IsNoKey(e)
                    ? "no private key for any recipient of the message is configured (Mailing:SMime:Identities)"
                    : $"the enveloped-data cannot be decrypted: damaged, or encrypted with a refused algorithm ({e.GetType().Name})");
            }
        }

        if (type.Equals(PkcsObjectIdentifiers.IdCTAuthEnvelopedData))
            return Undecryptable("the content is authenticated enveloped-data (RFC 5083, AES-GCM), which this version does not decrypt");
        if (type.Equals(PkcsObjectIdentifiers.IdCTCompressedData))
            return Undecryptable("the content is compressed-data, which is not opened (its size cannot be bounded before it is expanded)");
        return Undecryptable($"the application/pkcs7-mime holds CMS content of type {type.Id}, which is neither signed nor enveloped data");
    }

    private List<ContentSignature> Evaluate(DigitalSignatureCollection signatures)
    {
        var now = timeProvider.GetUtcNow().UtcDateTime;
        var result = new List<ContentSignature>();
        foreach (var signature in signatures)
            result.Add(Evaluate(signature, now));
        if (result.Count == 0)
            result.Add(new ContentSignature(ContentProtectionScheme.SMime, ContentSignatureStatus.Error, null, null, null, null, "the signature holds no signer"));
        return result;
    }

    private ContentSignature Evaluate(IDigitalSignature signature, DateTime now)
    {
        var smime = signature as SecureMimeDigitalSignature;
        var certificate = (signature.SignerCertificate as SecureMimeDigitalCertificate)?.Certificate;
        var addresses = certificate is null ? [] : SMimeCertificates.Addresses(certificate);
        var address = addresses.Count > 0 ? addresses[0] : null;
        var name = certificate is null ? null : BouncyCastleCertificateExtensions.GetCommonName(certificate);
        var thumbprint = certificate is null ? null : SMimeCertificates.Thumbprint(certificate);
        DateTimeOffset? signedAt = signature.CreationDate == default ? null : new DateTimeOffset(DateTime.SpecifyKind(signature.CreationDate, DateTimeKind.Utc));

        ContentSignature Result(ContentSignatureStatus status, string? reason)
        {
            SMimeLog.Verified(logger, status, thumbprint ?? "(none)", reason ?? string.Empty);
            return new ContentSignature(ContentProtectionScheme.SMime, status, address, name, thumbprint, signedAt, reason);
        }

        if (smime is not null && smime.DigestAlgorithm is DigestAlgorithm.MD5 or DigestAlgorithm.Sha1 or DigestAlgorithm.MD2 or DigestAlgorithm.MD4 or DigestAlgorithm.RipeMD160 or DigestAlgorithm.Tiger192 or DigestAlgorithm.Haval5160)
            return Result(ContentSignatureStatus.Error, $"the signature uses {smime.DigestAlgorithm}, a digest that is refused (SHA-256 or stronger is required)");
        if (certificate is null)
            return Result(ContentSignatureStatus.UnknownSigner, "the signer's certificate is neither in the message nor in the configured certificates");

        try
        {
            // The public key alone: BouncyCastle's check with the certificate also judges its validity at the claimed
            // signing time, and an expired signer is untrusted (reported below), not a changed content.
            var matches = smime is not null ? smime.SignerInfo.Verify(certificate.GetPublicKey()) : signature.Verify(verifySignatureOnly: true);
            if (!matches)
                return Result(ContentSignatureStatus.Invalid, "the content does not match the signature (changed after it was signed)");
        }
        catch (Exception e) when (e is DigitalSignatureVerifyException or Org.BouncyCastle.Cms.CmsException or Org.BouncyCastle.Security.SignatureException)
        {
            return Result(ContentSignatureStatus.Invalid, $"the content does not match the signature (changed after it was signed, or the signature is damaged: {e.InnerException?.GetType().Name ?? e.GetType().Name})");
        }
        catch (Exception e) when (IsContentError(e))
        {
            return Result(ContentSignatureStatus.Error, $"the signature cannot be checked ({e.GetType().Name})");
        }

        if (now > certificate.NotAfter)
            return Result(ContentSignatureStatus.UntrustedSigner, $"the signer's certificate expired on {certificate.NotAfter:yyyy-MM-dd}");
        if (now < certificate.NotBefore)
            return Result(ContentSignatureStatus.UntrustedSigner, $"the signer's certificate is not valid before {certificate.NotBefore:yyyy-MM-dd}");
        if (smime?.ChainException is { } chain)
        {
            var reason = store.Anchors.Count == 0
                ? "no trusted root is configured (Mailing:SMime:TrustAnchorsPath), so no certificate chain can be trusted"
                : $"the signer's certificate chain does not lead to a trusted root ({FirstSentence(chain.Message)})";
            return Result(ContentSignatureStatus.UntrustedSigner, reason);
        }

        if (smime is null || smime.Chain is null)
            return Result(ContentSignatureStatus.UntrustedSigner, "the signer's certificate chain could not be built");
        return Result(ContentSignatureStatus.Valid, null);
    }

    /// <summary>How many recipients the envelope names, and how many of them are our identities; <see langword="null"/> when it cannot be read.</summary>
    private int? CountRecipients(ApplicationPkcs7Mime pkcs7, out int ours)
    {
        ours = 0;
        try
        {
            using var content = new MemoryStream();
            if (pkcs7.Content is null)
                return null;
            pkcs7.Content.DecodeTo(content);
            content.Position = 0;
            var parser = new Org.BouncyCastle.Cms.CmsEnvelopedDataParser(content);
            var recipients = parser.GetRecipientInfos().GetRecipients();
            foreach (var recipient in recipients)
            {
                if (store.Identities.Any(i => recipient.RecipientID.Match(i.Certificate)))
                    ours++;
            }

            return recipients.Count;
        }
        catch (Exception e) when (IsContentError(e))
        {
            return null;
        }
    }

    /// <summary>A certificate distribution (certs-only) or compressed-data part is neither a signature nor an envelope: it stays an attachment.</summary>
    private static bool IsNotProtection(string? smimeType) =>
        smimeType is not null && (smimeType.Trim().Equals("certs-only", StringComparison.OrdinalIgnoreCase) || smimeType.Trim().Equals("compressed-data", StringComparison.OrdinalIgnoreCase));

    private static ContentLayer Broken(MimeEntity? content, string reason) =>
        new(content, [new ContentSignature(ContentProtectionScheme.SMime, ContentSignatureStatus.Error, null, null, null, null, reason)]);

    private static ContentLayer Undecryptable(string reason) => new(null, [], ContentProtectionScheme.SMime, reason);

    private static bool IsNoKey(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is PrivateKeyNotFoundException or CertificateNotFoundException)
                return true;
        }

        return false;
    }

    /// <summary>What bad content makes MimeKit and BouncyCastle throw; anything else is a defect and goes to the parser's guard.</summary>
    private static bool IsContentError(Exception e) => e is not (OutOfMemoryException or OperationCanceledException or StackOverflowException);

    private static string FirstSentence(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}
