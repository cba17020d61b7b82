using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Pkix;
using Org.BouncyCastle.Utilities.Collections;
using Org.BouncyCastle.X509;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// MimeKit's BouncyCastle S/MIME engine over the certificates and keys loaded at start, read-only: it never learns a
/// certificate from a message it reads (a signer's certificate is used for that signature only, never trusted later),
/// trusts only the configured anchors, and fetches nothing from the network (no CRL download). One is made per
/// operation; the store it reads is shared and immutable.
/// </summary>
internal sealed class SMimeContext : BouncyCastleSecureMimeContext
{
    private const string ImportRefused = "The S/MIME certificates and keys are read from Mailing:SMime at start; they cannot be imported at run time.";

    private readonly SMimeKeyStore store;
    private readonly DateTime now;
    private readonly EncryptionAlgorithm encryption;

    public SMimeContext(SMimeKeyStore store, DateTime now, EncryptionAlgorithm encryption)
    {
        this.store = store;
        this.now = now;
        this.encryption = encryption;
        CheckCertificateRevocation = false;
        foreach (var weak in new[] { EncryptionAlgorithm.Des, EncryptionAlgorithm.RC240, EncryptionAlgorithm.RC264, EncryptionAlgorithm.RC2128, EncryptionAlgorithm.TripleDes, EncryptionAlgorithm.Idea, EncryptionAlgorithm.Cast5, EncryptionAlgorithm.Blowfish, EncryptionAlgorithm.Twofish })
            Disable(weak);
    }

    public override bool CanSign(MailboxAddress signer, CancellationToken cancellationToken = default) =>
        store.SignerFor(signer.Address, now) is not null;

    public override bool CanEncrypt(MailboxAddress mailbox, CancellationToken cancellationToken = default) =>
        store.RecipientFor(mailbox.Address, now) is not null;

    protected override X509Certificate? GetCertificate(ISelector<X509Certificate> selector) =>
        store.All.FirstOrDefault(c => selector is null || selector.Match(c));

    protected override AsymmetricKeyParameter? GetPrivateKey(ISelector<X509Certificate> selector) =>
        store.Identities.FirstOrDefault(i => selector is null || selector.Match(i.Certificate))?.PrivateKey;

    protected override ISet<TrustAnchor> GetTrustedAnchors() =>
        store.Anchors.Select(a => new TrustAnchor(a, null)).ToHashSet();

    protected override IStore<X509Certificate> GetIntermediateCertificates()
    {
        var intermediates = new X509CertificateStore();
        intermediates.AddRange(store.Intermediates);
        return intermediates;
    }

    protected override IStore<X509Crl> GetCertificateRevocationLists() => CollectionUtilities.CreateStore(new List<X509Crl>());

    protected override DateTime GetNextCertificateRevocationListUpdate(X509Name issuer) => DateTime.MinValue;

    protected override CmsRecipient GetCmsRecipient(MailboxAddress mailbox)
    {
        var certificate = store.RecipientFor(mailbox.Address, now)
            ?? throw new CertificateNotFoundException(mailbox, "No valid certificate is configured for this recipient.");
        return new CmsRecipient(certificate) { EncryptionAlgorithms = [encryption] };
    }

    protected override CmsSigner GetCmsSigner(MailboxAddress mailbox, DigestAlgorithm digestAlgo)
    {
        var identity = store.SignerFor(mailbox.Address, now)
            ?? throw new CertificateNotFoundException(mailbox, "No valid signing identity is configured for this address.");
        return new CmsSigner(identity.Chain, identity.PrivateKey) { DigestAlgorithm = digestAlgo };
    }

    /// <summary>Capabilities announced by incoming signatures are not remembered: outgoing mail always uses the configured cipher.</summary>
    protected override void UpdateSecureMimeCapabilities(X509Certificate certificate, EncryptionAlgorithm[] algorithms, DateTime timestamp)
    {
    }

    /// <summary>Certificates seen in incoming mail are not kept: only the configuration adds certificates.</summary>
    public override void Import(X509Certificate certificate, CancellationToken cancellationToken = default)
    {
    }

    /// <summary>CRLs are not kept (revocation is not checked).</summary>
    public override void Import(X509Crl crl, CancellationToken cancellationToken = default)
    {
    }

    /// <summary>Keys come from the configuration only.</summary>
    public override void Import(Stream stream, string password, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(ImportRefused);

    /// <summary>Keys come from the configuration only.</summary>
    public override Task ImportAsync(Stream stream, string password, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(ImportRefused);
}
