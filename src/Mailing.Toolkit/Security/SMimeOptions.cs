using System.Security.Cryptography.X509Certificates;

namespace Mailing.Toolkit.Security;

/// <summary>
/// S/MIME (RFC 8551) for outgoing and incoming mail, bound from <c>Mailing:SMime</c> by <c>AddSMime()</c>: the
/// identities that sign outgoing mail and decrypt incoming mail, the certificates of the people mail is encrypted to,
/// the certificate authorities whose signatures are trusted, and when outgoing mail is signed and encrypted. Every
/// certificate and key is loaded and checked when the host starts.
/// </summary>
public sealed class SMimeOptions
{
    /// <summary>
    /// Our own certificates with their private keys: each signs the mail sent From its address, decrypts the mail
    /// encrypted to it, and (with <see cref="EncryptToSender"/>) lets the sender read its own encrypted Sent copies.
    /// </summary>
    public IList<SMimeIdentity> Identities { get; } = new List<SMimeIdentity>();

    /// <summary>
    /// A folder of recipients' certificates (<c>.cer</c>, <c>.crt</c> or <c>.pem</c> files, PEM or DER, one or more
    /// certificates each), matched to recipients by the email address in the certificate; or <see langword="null"/>.
    /// Certificates of authorities found there serve as intermediates when chains are built; they are never trusted
    /// as roots (only <see cref="TrustAnchorsPath"/> gives trust).
    /// </summary>
    public string? RecipientCertificatesPath { get; set; }

    /// <summary>
    /// A file or a folder of the certificate authorities (PEM or DER) whose chains are trusted when a signature is
    /// verified; or <see langword="null"/>. Self-signed certificates in it are the trust anchors, the others are
    /// intermediates. Without any anchor (and without <see cref="TrustSystemRoots"/>) no signature is
    /// <see cref="ContentSignatureStatus.Valid"/>: a matching signature is reported as
    /// <see cref="ContentSignatureStatus.UntrustedSigner"/>.
    /// </summary>
    public string? TrustAnchorsPath { get; set; }

    /// <summary>
    /// Also trust the root certificates of the operating system's store; <see langword="false"/> by default. Those
    /// roots are chosen for TLS servers: many of them never vouch for email addresses, so trusting them all for mail is
    /// a choice to make on purpose, not a default.
    /// </summary>
    public bool TrustSystemRoots { get; set; }

    /// <summary>
    /// A SQLite certificate database in MimeKit's format (<c>SqliteCertificateDatabase</c>), read at start besides the
    /// files, or <see langword="null"/>: certificates with a private key become identities, trusted self-signed
    /// authorities become trust anchors, other authorities intermediates, and the rest recipient certificates. Its
    /// private keys are stored encrypted with <see cref="CertificateDatabasePassword"/>. It needs the
    /// Microsoft.Data.Sqlite package at run time (the Mailing.Toolkit.Sqlite package brings it); the file must exist.
    /// </summary>
    public string? CertificateDatabasePath { get; set; }

    /// <summary>The password the private keys of <see cref="CertificateDatabasePath"/> are encrypted with. Never logged.</summary>
    public string? CertificateDatabasePassword { get; set; }

    /// <summary>When outgoing mail is signed; <see cref="SMimeSignPolicy.WhenKeyAvailable"/> by default.</summary>
    public SMimeSignPolicy Sign { get; set; } = SMimeSignPolicy.WhenKeyAvailable;

    /// <summary>When outgoing mail is encrypted; <see cref="SMimeEncryptPolicy.Never"/> by default.</summary>
    public SMimeEncryptPolicy Encrypt { get; set; } = SMimeEncryptPolicy.Never;

    /// <summary>The digest of outgoing signatures; <see cref="SMimeDigestAlgorithm.Sha256"/> by default.</summary>
    public SMimeDigestAlgorithm DigestAlgorithm { get; set; } = SMimeDigestAlgorithm.Sha256;

    /// <summary>The cipher of outgoing envelopes; <see cref="SMimeEncryptionAlgorithm.Aes256"/> by default.</summary>
    public SMimeEncryptionAlgorithm EncryptionAlgorithm { get; set; } = SMimeEncryptionAlgorithm.Aes256;

    /// <summary>
    /// Encrypt outgoing mail to the sender's own certificate too (the identity of the From address), so the copy kept
    /// in a Sent folder stays readable; <see langword="true"/> by default. The sender is then one more recipient of the
    /// envelope: recipients can see that it is encrypted to a certificate of the sender, as they can count the others.
    /// </summary>
    public bool EncryptToSender { get; set; } = true;
}

/// <summary>
/// One of our own S/MIME identities: a certificate and its private key, from exactly one of a PKCS#12 file
/// (<see cref="PfxPath"/>), PEM (<see cref="CertificatePath"/> or <see cref="CertificatePem"/> with
/// <see cref="PrivateKeyPath"/> or <see cref="PrivateKeyPem"/>), or an X.509 store (<see cref="CertificateThumbprint"/>).
/// <see cref="ToString"/> never shows keys or passwords.
/// </summary>
public sealed class SMimeIdentity
{
    /// <summary>
    /// The address this identity signs for and decrypts; <see langword="null"/> for the email address of the
    /// certificate. When set, the certificate must name it.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>A PKCS#12 file (<c>.pfx</c>, <c>.p12</c>) holding the certificate, its private key and optionally its chain.</summary>
    public string? PfxPath { get; set; }

    /// <summary>The password of <see cref="PfxPath"/>. Never logged.</summary>
    public string? PfxPassword { get; set; }

    /// <summary>A PEM or DER file with the certificate (and optionally the intermediates after it), used with a PEM private key.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The certificate as PEM text (and optionally the intermediates after it), used with a PEM private key.</summary>
    public string? CertificatePem { get; set; }

    /// <summary>
    /// A PEM file with the private key: PKCS#8 (<c>PRIVATE KEY</c>, or <c>ENCRYPTED PRIVATE KEY</c> with
    /// <see cref="PrivateKeyPassword"/>) or <c>RSA PRIVATE KEY</c>.
    /// </summary>
    public string? PrivateKeyPath { get; set; }

    /// <summary>The private key as PEM text, for a secret store bound into configuration. Never logged.</summary>
    public string? PrivateKeyPem { get; set; }

    /// <summary>The password of an encrypted PEM private key (<c>ENCRYPTED PRIVATE KEY</c>). Never logged.</summary>
    public string? PrivateKeyPassword { get; set; }

    /// <summary>The SHA-1 thumbprint (hex) of a certificate with an exportable private key in an X.509 store.</summary>
    public string? CertificateThumbprint { get; set; }

    /// <summary>The store <see cref="CertificateThumbprint"/> is looked up in; <see cref="StoreName.My"/> by default.</summary>
    public StoreName CertificateStoreName { get; set; } = StoreName.My;

    /// <summary>The store location of <see cref="CertificateThumbprint"/>; <see cref="StoreLocation.CurrentUser"/> by default.</summary>
    public StoreLocation CertificateStoreLocation { get; set; } = StoreLocation.CurrentUser;

    /// <summary>Describes the identity without its key or passwords: its address and where the certificate comes from.</summary>
    public override string ToString()
    {
        var source = !string.IsNullOrEmpty(PfxPath) ? $"PKCS#12 file {PfxPath}"
            : !string.IsNullOrEmpty(CertificateThumbprint) ? $"certificate {CertificateThumbprint}"
            : !string.IsNullOrEmpty(CertificatePath) ? $"certificate file {CertificatePath}"
            : !string.IsNullOrEmpty(CertificatePem) ? "PEM text (hidden)"
            : "no certificate";
        return $"S/MIME identity {Address ?? "(address of the certificate)"} ({source})";
    }
}

/// <summary>When outgoing mail is signed with S/MIME.</summary>
public enum SMimeSignPolicy
{
    /// <summary>Never sign.</summary>
    Never,

    /// <summary>Sign mail whose From address has an identity in <see cref="SMimeOptions.Identities"/>; send the rest unsigned.</summary>
    WhenKeyAvailable,

    /// <summary>Sign every message; one whose From address has no identity is refused with a <see cref="MailDeliveryException"/>.</summary>
    Always,
}

/// <summary>When outgoing mail is encrypted with S/MIME.</summary>
public enum SMimeEncryptPolicy
{
    /// <summary>Never encrypt.</summary>
    Never,

    /// <summary>Encrypt when every envelope recipient (To, Cc and Bcc) has a certificate; otherwise send it unencrypted.</summary>
    WhenAllRecipientsHaveCertificates,

    /// <summary>
    /// Encrypt every message; one with a recipient without a certificate is refused with a non-transient
    /// <see cref="MailDeliveryException"/> that names those recipients.
    /// </summary>
    Always,
}

/// <summary>The digest algorithms outgoing signatures may use; SHA-1 and MD5 are not offered.</summary>
public enum SMimeDigestAlgorithm
{
    /// <summary>SHA-256 (the default).</summary>
    Sha256,

    /// <summary>SHA-384.</summary>
    Sha384,

    /// <summary>SHA-512.</summary>
    Sha512,
}

/// <summary>The content ciphers outgoing envelopes may use; 3DES, RC2, DES and the like are not offered.</summary>
public enum SMimeEncryptionAlgorithm
{
    /// <summary>AES-256 in CBC mode (the default).</summary>
    Aes256,

    /// <summary>AES-192 in CBC mode.</summary>
    Aes192,

    /// <summary>AES-128 in CBC mode.</summary>
    Aes128,
}
