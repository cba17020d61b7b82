namespace Mailing.Toolkit.Security;

/// <summary>The standard a message's content was signed or encrypted with.</summary>
public enum ContentProtectionScheme
{
    /// <summary>S/MIME (RFC 8551): CMS signatures and envelopes with X.509 certificates.</summary>
    SMime,

    /// <summary>OpenPGP (RFC 3156 PGP/MIME, RFC 9580 keys).</summary>
    OpenPgp,
}

/// <summary>What checking one content signature showed.</summary>
public enum ContentSignatureStatus
{
    /// <summary>The content is what the signer signed, and the signer's certificate or key is trusted.</summary>
    Valid,

    /// <summary>The content was changed after it was signed, or the signature does not match it.</summary>
    Invalid,

    /// <summary>
    /// The signature matches the content, but the signer is not trusted: a certificate chain that ends at no trusted
    /// root, an expired or revoked certificate, a key that is expired or revoked. <see cref="ContentSignature.Reason"/> says which.
    /// </summary>
    UntrustedSigner,

    /// <summary>The signer's certificate or public key is not available, so the signature could not be checked.</summary>
    UnknownSigner,

    /// <summary>The signature could not be read (malformed, or an algorithm that is refused).</summary>
    Error,
}

/// <summary>One signature over a message's content, as checked when the message was parsed.</summary>
/// <param name="Scheme">S/MIME or OpenPGP.</param>
/// <param name="Status">What the check showed.</param>
/// <param name="SignerAddress">The signer's email address, from the certificate or the key's user id, when known.</param>
/// <param name="SignerName">The signer's name, when known.</param>
/// <param name="Fingerprint">The certificate's SHA-1 thumbprint (S/MIME) or the key's fingerprint (OpenPGP), in upper-case hex, when known.</param>
/// <param name="SignedAt">The signing time the signature states, when it states one (it is the signer's claim).</param>
/// <param name="Reason">Why the status is not <see cref="ContentSignatureStatus.Valid"/>, or <see langword="null"/>.</param>
public sealed record ContentSignature(
    ContentProtectionScheme Scheme,
    ContentSignatureStatus Status,
    string? SignerAddress,
    string? SignerName,
    string? Fingerprint,
    DateTimeOffset? SignedAt,
    string? Reason)
{
    /// <summary>Whether <see cref="Status"/> is <see cref="ContentSignatureStatus.Valid"/>.</summary>
    public bool IsValid => Status == ContentSignatureStatus.Valid;
}

/// <summary>
/// The signatures and encryption a parsed message's content carried, and what reading them gave. The text, HTML and
/// attachments of the parsed message are those of the decrypted, unwrapped content when it could be decrypted.
/// </summary>
public sealed record ContentProtectionInfo
{
    /// <summary>The scheme the content was encrypted with, or <see langword="null"/> when it was not encrypted.</summary>
    public ContentProtectionScheme? EncryptionScheme { get; init; }

    /// <summary>Whether the content was encrypted.</summary>
    public bool IsEncrypted => EncryptionScheme is not null;

    /// <summary>Whether encrypted content was decrypted; <see langword="false"/> when it was not encrypted.</summary>
    public bool IsDecrypted { get; init; }

    /// <summary>Why encrypted content could not be decrypted (no private key for any recipient, a damaged envelope), or <see langword="null"/>.</summary>
    public string? DecryptionError { get; init; }

    /// <summary>Every signature found, outermost first (a message signed then encrypted has its signature inside the envelope).</summary>
    public IReadOnlyList<ContentSignature> Signatures { get; init; } = [];

    /// <summary>Whether the content carried at least one signature.</summary>
    public bool IsSigned => Signatures.Count > 0;

    /// <summary>Whether it carried at least one signature, and every signature is <see cref="ContentSignatureStatus.Valid"/>.</summary>
    public bool IsSignatureValid => Signatures.Count > 0 && Signatures.All(s => s.IsValid);
}
