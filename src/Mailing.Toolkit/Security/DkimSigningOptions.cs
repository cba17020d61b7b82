using System.Security.Cryptography.X509Certificates;

namespace Mailing.Toolkit.Security;

/// <summary>
/// DKIM signing of outgoing mail (RFC 6376, RFC 8463), bound from <c>Mailing:Dkim</c> by <c>AddDkimSigning()</c>.
/// Every message whose From domain has a key is signed once per key of that domain, after every other outgoing
/// filter; the keys are loaded and checked when the host starts.
/// </summary>
public sealed class DkimSigningOptions
{
    /// <summary>
    /// The header fields signed by default, when <see cref="SignedHeaders"/> is not set. A name ending in <c>*</c>
    /// stands for every field that starts with it (<c>List-*</c>: List-Id, List-Unsubscribe, List-Unsubscribe-Post ...).
    /// </summary>
    public static IReadOnlyList<string> DefaultSignedHeaders { get; } =
    [
        "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "List-*",
    ];

    /// <summary>The keys. Several keys of one domain give several signatures (for example RSA and Ed25519).</summary>
    public IList<DkimSigningKey> Keys { get; } = new List<DkimSigningKey>();

    /// <summary>
    /// The header and body canonicalization, as in the <c>c=</c> tag: <c>relaxed/relaxed</c> (the default, which
    /// survives the whitespace and folding changes relays make), <c>relaxed/simple</c>, <c>simple/relaxed</c> or
    /// <c>simple/simple</c>.
    /// </summary>
    public string Canonicalization { get; set; } = "relaxed/relaxed";

    /// <summary>
    /// The header fields to sign, or <see langword="null"/> for <see cref="DefaultSignedHeaders"/>. <c>From</c> must be
    /// in it; Return-Path, Received, Comments, Keywords, Bcc, Resent-Bcc, DKIM-Signature and Content-Length must not
    /// (relays add or change them, or they never reach the recipient). Each field present is signed as often as it occurs.
    /// </summary>
    public IList<string>? SignedHeaders { get; set; }

    /// <summary>
    /// The header fields signed once more than they occur (oversigned), so that nobody can add another instance
    /// without breaking the signature; <see langword="null"/> for <c>From</c> alone. Each must also be signed
    /// (in <see cref="SignedHeaders"/>); Subject, Date, To and Cc are reasonable additions.
    /// </summary>
    public IList<string>? OversignedHeaders { get; set; }

    /// <summary>
    /// How long a signature is valid (the <c>x=</c> tag, counted from the signing time <c>t=</c>), in whole seconds;
    /// <see langword="null"/> (the default) for no expiry. Keep it well above the longest delivery retry (days).
    /// </summary>
    public TimeSpan? SignatureLifetime { get; set; }

    /// <summary>
    /// <see langword="false"/> (the default): mail whose From domain has no key is sent unsigned, with a Debug log.
    /// <see langword="true"/>: such mail is refused with a <see cref="MailDeliveryException"/> (<c>error.type</c>
    /// <c>dkim_no_key</c>), for hosts that must never send unsigned mail.
    /// </summary>
    public bool RequireSignature { get; set; }
}

/// <summary>
/// One DKIM key: the domain and selector it is published under and its private key, from exactly one of
/// <see cref="PrivateKeyPath"/>, <see cref="PrivateKeyPem"/> or <see cref="CertificateThumbprint"/>.
/// <see cref="ToString"/> never shows the key material.
/// </summary>
public sealed class DkimSigningKey
{
    /// <summary>The <c>rsa-sha256</c> algorithm (the default).</summary>
    public const string RsaSha256 = "rsa-sha256";

    /// <summary>The <c>ed25519-sha256</c> algorithm of RFC 8463; publish an RSA key beside it for receivers that lack it.</summary>
    public const string Ed25519Sha256 = "ed25519-sha256";

    /// <summary>The signing domain (<c>d=</c>): mail whose From address is in this domain is signed with this key.</summary>
    public string Domain { get; set; } = string.Empty;

    /// <summary>
    /// The selector (<c>s=</c>): the public key is published as a TXT record at <c>{Selector}._domainkey.{Domain}</c>.
    /// Rotate a key by publishing a new selector, switching this key to it, and removing the old record days later.
    /// </summary>
    public string Selector { get; set; } = string.Empty;

    /// <summary>The algorithm (<c>a=</c>): <see cref="RsaSha256"/> (the default) or <see cref="Ed25519Sha256"/>.</summary>
    public string Algorithm { get; set; } = RsaSha256;

    /// <summary>A PEM file holding the private key (PKCS#8 <c>PRIVATE KEY</c>, or <c>RSA PRIVATE KEY</c>), unencrypted.</summary>
    public string? PrivateKeyPath { get; set; }

    /// <summary>
    /// The private key itself, as PEM text: for a secret store bound into configuration. Never logged; prefer
    /// <see cref="PrivateKeyPath"/> or a certificate where the configuration itself could be read.
    /// </summary>
    public string? PrivateKeyPem { get; set; }

    /// <summary>The thumbprint (SHA-1, hex) of a certificate with an exportable RSA private key in an X.509 store.</summary>
    public string? CertificateThumbprint { get; set; }

    /// <summary>The store <see cref="CertificateThumbprint"/> is looked up in; <see cref="StoreName.My"/> by default.</summary>
    public StoreName CertificateStoreName { get; set; } = StoreName.My;

    /// <summary>The store location of <see cref="CertificateThumbprint"/>; <see cref="StoreLocation.CurrentUser"/> by default.</summary>
    public StoreLocation CertificateStoreLocation { get; set; } = StoreLocation.CurrentUser;

    /// <summary>
    /// Also sign mail from subdomains of <see cref="Domain"/> (From <c>news.example.com</c> signed with
    /// <c>d=example.com</c>) when no key of the subdomain itself is configured. Off by default.
    /// </summary>
    public bool SignSubdomains { get; set; }

    /// <summary>
    /// The Agent or User Identifier (<c>i=</c>), such as <c>@news.example.com</c> or <c>bulk@example.com</c>; it must be
    /// in <see cref="Domain"/> or a subdomain of it. Left out by default (receivers then take <c>@{Domain}</c>).
    /// </summary>
    public string? AgentOrUserIdentifier { get; set; }

    /// <summary>Describes the key without its material: domain, selector, algorithm and where the key comes from.</summary>
    public override string ToString()
    {
        var source = !string.IsNullOrEmpty(CertificateThumbprint) ? $"certificate {CertificateThumbprint}"
            : !string.IsNullOrEmpty(PrivateKeyPath) ? $"file {PrivateKeyPath}"
            : !string.IsNullOrEmpty(PrivateKeyPem) ? "PEM text (hidden)"
            : "no key";
        return $"DKIM key {Selector}._domainkey.{Domain} ({Algorithm}, {source})";
    }
}
