using MimeKit.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>One of our identities, loaded: the certificate, the chain above it and the private key.</summary>
/// <param name="Address">The address it signs for, lower-case.</param>
/// <param name="Certificate">The certificate.</param>
/// <param name="Chain">The certificate first, then the intermediates the configuration gave with it.</param>
/// <param name="PrivateKey">The private key matching the certificate.</param>
internal sealed record SMimeSigningIdentity(string Address, X509Certificate Certificate, IReadOnlyList<X509Certificate> Chain, AsymmetricKeyParameter PrivateKey);

/// <summary>
/// The certificates and keys <see cref="SMimeKeyLoader"/> loaded at start; never changed afterwards, so it is shared
/// by every send and every parse without locking.
/// </summary>
internal sealed class SMimeKeyStore(
    IReadOnlyList<SMimeSigningIdentity> identities,
    IReadOnlyList<X509Certificate> recipients,
    IReadOnlyList<X509Certificate> anchors,
    IReadOnlyList<X509Certificate> intermediates)
{
    public IReadOnlyList<SMimeSigningIdentity> Identities { get; } = identities;

    public IReadOnlyList<X509Certificate> Recipients { get; } = recipients;

    public IReadOnlyList<X509Certificate> Anchors { get; } = anchors;

    public IReadOnlyList<X509Certificate> Intermediates { get; } = intermediates;

    /// <summary>Every certificate known, for looking up a signer that did not include its certificate.</summary>
    public IEnumerable<X509Certificate> All =>
        Identities.SelectMany(i => i.Chain).Concat(Recipients).Concat(Intermediates).Concat(Anchors);

    /// <summary>The identity that signs for <paramref name="address"/>, valid at <paramref name="now"/>, or <see langword="null"/>.</summary>
    public SMimeSigningIdentity? SignerFor(string address, DateTime now) =>
        Identities.FirstOrDefault(i => string.Equals(i.Address, address, StringComparison.OrdinalIgnoreCase)
            && IsValidAt(i.Certificate, now) && AllowsSigning(i.Certificate));

    /// <summary>A certificate to encrypt to <paramref name="address"/>, valid at <paramref name="now"/>, or <see langword="null"/>.</summary>
    public X509Certificate? RecipientFor(string address, DateTime now) =>
        Recipients.Concat(Identities.Select(i => i.Certificate))
            .Where(c => IsValidAt(c, now) && AllowsEncryption(c) && SMimeCertificates.Addresses(c).Contains(address, StringComparer.OrdinalIgnoreCase))
            .OrderByDescending(c => c.NotAfter)
            .FirstOrDefault();

    public static bool IsValidAt(X509Certificate certificate, DateTime now) => certificate.NotBefore <= now && now <= certificate.NotAfter;

    private static bool AllowsSigning(X509Certificate certificate)
    {
        var usage = certificate.GetKeyUsageFlags();
        return usage == X509KeyUsageFlags.None || (usage & (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation)) != 0;
    }

    private static bool AllowsEncryption(X509Certificate certificate)
    {
        var usage = certificate.GetKeyUsageFlags();
        return usage == X509KeyUsageFlags.None || (usage & (X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement)) != 0;
    }
}

/// <summary>What the S/MIME code reads from certificates.</summary>
internal static class SMimeCertificates
{
    /// <summary>The email addresses a certificate names: its rfc822Name alternative names, then the emailAddress of its subject.</summary>
    public static IReadOnlyList<string> Addresses(X509Certificate certificate)
    {
        var addresses = new List<string>();
        try
        {
            var names = certificate.GetSubjectAlternativeNames();
            if (names is not null)
            {
                foreach (var name in names)
                {
                    if (name.Count >= 2 && name[0] is int tag && tag == GeneralName.Rfc822Name && name[1] is string value)
                        addresses.Add(value.Trim());
                }
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Asn1Exception or Org.BouncyCastle.Security.Certificates.CertificateParsingException)
        {
            // A damaged extension names no address.
        }

        foreach (var value in certificate.SubjectDN.GetValueList(X509Name.EmailAddress))
            addresses.Add(value.Trim());
        return addresses.Where(a => a.Contains('@', StringComparison.Ordinal)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    /// <summary>The SHA-1 thumbprint in upper-case hex, as Windows and <c>openssl x509 -fingerprint</c> show it.</summary>
    public static string Thumbprint(X509Certificate certificate) => certificate.GetFingerprint().ToUpperInvariant();

    public static bool IsAuthority(X509Certificate certificate) => certificate.GetBasicConstraints() >= 0;

    public static string Describe(X509Certificate certificate) => $"'{certificate.SubjectDN}' ({Thumbprint(certificate)})";
}
