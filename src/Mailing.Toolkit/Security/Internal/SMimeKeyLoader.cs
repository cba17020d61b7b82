using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Checks <see cref="SMimeOptions"/> and loads every certificate and key once, at start. Each error names the
/// configuration key to fix; none quotes key material or passwords (parser messages, which can echo input, are not passed on).
/// </summary>
internal static class SMimeKeyLoader
{
    /// <summary>RFC 8551 section 4.3 asks for RSA keys of at least 2048 bits; shorter ones of our own are refused.</summary>
    public const int MinRsaBits = 2048;

    /// <summary>A certificate, key or PKCS#12 file is a few KB; a larger one is a wrong file.</summary>
    public const long MaxFileBytes = 1024 * 1024;

    /// <summary>The most certificate files read from one folder; a larger folder is a wrong path.</summary>
    public const int MaxFolderFiles = 10_000;

    private static readonly string[] CertificateExtensions = [".cer", ".crt", ".pem", ".der"];

    public static (SMimeKeyStore? Store, List<string> Errors) Load(SMimeOptions options, string path, DateTime now)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Sign))
            errors.Add($"{path}:Sign must be Never, WhenKeyAvailable or Always.");
        if (!Enum.IsDefined(options.Encrypt))
            errors.Add($"{path}:Encrypt must be Never, WhenAllRecipientsHaveCertificates or Always.");
        if (!Enum.IsDefined(options.DigestAlgorithm))
            errors.Add($"{path}:DigestAlgorithm must be Sha256, Sha384 or Sha512 (SHA-1 and MD5 are refused).");
        if (!Enum.IsDefined(options.EncryptionAlgorithm))
            errors.Add($"{path}:EncryptionAlgorithm must be Aes256, Aes192 or Aes128 (3DES, RC2 and DES are refused).");

        var identities = new List<SMimeSigningIdentity>();
        for (var i = 0; i < options.Identities.Count; i++)
        {
            var where = $"{path}:Identities:{i}";
            if (options.Identities[i] is not { } identity)
            {
                errors.Add($"{where} is empty.");
                continue;
            }

            if (LoadIdentity(identity, where, now, errors) is { } loaded)
            {
                if (identities.Any(x => x.Address == loaded.Address && x.Certificate.Equals(loaded.Certificate)))
                    errors.Add($"{where} repeats the certificate of another identity for {loaded.Address}.");
                else
                    identities.Add(loaded);
            }
        }

        if (options.Sign == SMimeSignPolicy.Always && options.Identities.Count == 0)
            errors.Add($"{path}:Sign is Always but {path}:Identities is empty: every message would be refused. Add an identity for each From address.");

        var recipients = new List<BcCertificate>();
        var intermediates = new List<BcCertificate>();
        if (!string.IsNullOrWhiteSpace(options.RecipientCertificatesPath))
        {
            foreach (var certificate in ReadCertificateSource(options.RecipientCertificatesPath, $"{path}:RecipientCertificatesPath", folderOnly: true, errors))
            {
                if (SMimeCertificates.IsAuthority(certificate))
                    intermediates.Add(certificate);
                else if (SMimeCertificates.Addresses(certificate).Count == 0)
                    errors.Add($"{path}:RecipientCertificatesPath: certificate {SMimeCertificates.Describe(certificate)} names no email address, so no recipient can be matched to it.");
                else if (WeakKey(certificate.GetPublicKey()) is { } weak)
                    errors.Add($"{path}:RecipientCertificatesPath: certificate {SMimeCertificates.Describe(certificate)} has {weak}; mail is never encrypted to it. Remove it or ask for a new certificate.");
                else
                    recipients.Add(certificate);
            }
        }

        var anchors = new List<BcCertificate>();
        if (!string.IsNullOrWhiteSpace(options.TrustAnchorsPath))
        {
            foreach (var certificate in ReadCertificateSource(options.TrustAnchorsPath, $"{path}:TrustAnchorsPath", folderOnly: false, errors))
            {
                if (!SMimeCertificates.IsAuthority(certificate))
                    errors.Add($"{path}:TrustAnchorsPath: {SMimeCertificates.Describe(certificate)} is not a certificate authority (no basicConstraints CA:TRUE); put user certificates in {path}:RecipientCertificatesPath.");
                else if (MimeKit.Cryptography.BouncyCastleCertificateExtensions.IsSelfSigned(certificate))
                    anchors.Add(certificate);
                else
                    intermediates.Add(certificate);
            }
        }

        if (!string.IsNullOrWhiteSpace(options.CertificateDatabasePath))
        {
            var where = $"{path}:CertificateDatabasePath";
            foreach (var record in SMimeCertificateDatabase.Read(options.CertificateDatabasePath, options.CertificateDatabasePassword, where, $"{path}:CertificateDatabasePassword", errors))
            {
                if (record.Certificate is not { } certificate)
                    continue;
                if (record.PrivateKey is { } key)
                {
                    var addresses = SMimeCertificates.Addresses(certificate);
                    if (!KeyMatches(certificate.GetPublicKey(), key) || WeakKey(key) is not null || addresses.Count == 0)
                        errors.Add($"{where}: the private key of certificate {SMimeCertificates.Describe(certificate)} does not match it, is weak, or the certificate names no address.");
                    else
                        identities.AddRange(addresses.Select(a => new SMimeSigningIdentity(a.ToLowerInvariant(), certificate, [certificate], key)));
                }
                else if (SMimeCertificates.IsAuthority(certificate))
                {
                    if (record.IsTrusted && MimeKit.Cryptography.BouncyCastleCertificateExtensions.IsSelfSigned(certificate))
                        anchors.Add(certificate);
                    else
                        intermediates.Add(certificate);
                }
                else if (SMimeCertificates.Addresses(certificate).Count > 0 && WeakKey(certificate.GetPublicKey()) is null)
                {
                    recipients.Add(certificate);
                }
            }
        }

        if (options.TrustSystemRoots)
            anchors.AddRange(ReadSystemRoots($"{path}:TrustSystemRoots", errors));

        foreach (var identity in identities)
            intermediates.AddRange(identity.Chain.Skip(1).Where(SMimeCertificates.IsAuthority));

        return errors.Count == 0
            ? (new SMimeKeyStore(identities, recipients, anchors.Distinct().ToArray(), intermediates.Distinct().ToArray()), errors)
            : (null, errors);
    }

    private static SMimeSigningIdentity? LoadIdentity(SMimeIdentity identity, string where, DateTime now, List<string> errors)
    {
        var pfx = !string.IsNullOrWhiteSpace(identity.PfxPath);
        var pem = !string.IsNullOrWhiteSpace(identity.CertificatePath) || !string.IsNullOrWhiteSpace(identity.CertificatePem)
            || !string.IsNullOrWhiteSpace(identity.PrivateKeyPath) || !string.IsNullOrWhiteSpace(identity.PrivateKeyPem);
        var store = !string.IsNullOrWhiteSpace(identity.CertificateThumbprint);
        var sources = (pfx ? 1 : 0) + (pem ? 1 : 0) + (store ? 1 : 0);
        if (sources != 1)
        {
            errors.Add(sources == 0
                ? $"{where} has no certificate: set PfxPath (with PfxPassword), CertificatePath or CertificatePem with PrivateKeyPath or PrivateKeyPem, or CertificateThumbprint."
                : $"{where} mixes a PKCS#12 file, PEM and a certificate store: keep exactly one of PfxPath, the PEM settings and CertificateThumbprint.");
            return null;
        }

        var before = errors.Count;
        (BcCertificate Certificate, IReadOnlyList<BcCertificate> Chain, AsymmetricKeyParameter Key)? read =
            pfx ? ReadPfx(identity, where, errors)
            : store ? ReadFromStore(identity, where, errors)
            : ReadPem(identity, where, errors);
        if (read is not { } loaded || errors.Count > before)
            return null;

        var (certificate, chain, key) = loaded;
        if (!KeyMatches(certificate.GetPublicKey(), key))
        {
            errors.Add($"{where}: the private key does not belong to certificate {SMimeCertificates.Describe(certificate)}.");
            return null;
        }

        if (WeakKey(key) is { } weak)
        {
            errors.Add($"{where}: certificate {SMimeCertificates.Describe(certificate)} has {weak}; use a {MinRsaBits}-bit RSA or an EC key.");
            return null;
        }

        if (now > certificate.NotAfter)
        {
            errors.Add($"{where}: certificate {SMimeCertificates.Describe(certificate)} expired on {certificate.NotAfter:yyyy-MM-dd}; renew it (keep the old one as an identity only while old mail must still be decrypted, after a new one).");
            return null;
        }

        var addresses = SMimeCertificates.Addresses(certificate);
        string address;
        if (!string.IsNullOrWhiteSpace(identity.Address))
        {
            address = identity.Address.Trim();
            if (!addresses.Contains(address, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{where}:Address '{Printable(address)}' is not named by certificate {SMimeCertificates.Describe(certificate)} ({(addresses.Count == 0 ? "it names no address" : "it names " + string.Join(", ", addresses))}): receivers would not match the signature to the sender.");
                return null;
            }
        }
        else if (addresses.Count == 1)
        {
            address = addresses[0];
        }
        else
        {
            errors.Add(addresses.Count == 0
                ? $"{where}: certificate {SMimeCertificates.Describe(certificate)} names no email address; S/MIME certificates must name the sender's address."
                : $"{where}: certificate {SMimeCertificates.Describe(certificate)} names several addresses ({string.Join(", ", addresses)}): set {where}:Address to the one it signs for.");
            return null;
        }

        return new SMimeSigningIdentity(address.ToLowerInvariant(), certificate, chain, key);
    }

    private static (BcCertificate, IReadOnlyList<BcCertificate>, AsymmetricKeyParameter)? ReadPfx(SMimeIdentity identity, string where, List<string> errors)
    {
        var bytes = ReadFile(identity.PfxPath!, $"{where}:PfxPath", errors);
        if (bytes is null)
            return null;
        var store = new Pkcs12StoreBuilder().Build();
        try
        {
            store.Load(new MemoryStream(bytes), (identity.PfxPassword ?? string.Empty).ToCharArray());
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FormatException or InvalidCastException or InvalidCipherTextException or SecurityUtilityException or Org.BouncyCastle.Asn1.Asn1Exception)
        {
            errors.Add($"{where}:PfxPath: '{identity.PfxPath}' cannot be opened: the {where}:PfxPassword is wrong, or it is not a PKCS#12 file ({e.GetType().Name}).");
            return null;
        }

        var withKey = store.Aliases.Where(store.IsKeyEntry).ToArray();
        if (withKey.Length != 1)
        {
            errors.Add(withKey.Length == 0
                ? $"{where}:PfxPath: '{identity.PfxPath}' holds no private key; export it with the key (openssl pkcs12 -export -inkey ...)."
                : $"{where}:PfxPath: '{identity.PfxPath}' holds {withKey.Length} private keys; give each identity a file with one.");
            return null;
        }

        var alias = withKey[0];
        var chain = (store.GetCertificateChain(alias) ?? [store.GetCertificate(alias)]).Where(e => e is not null).Select(e => e.Certificate).ToList();
        if (chain.Count == 0)
        {
            errors.Add($"{where}:PfxPath: '{identity.PfxPath}' holds a private key without its certificate.");
            return null;
        }

        foreach (var extra in store.Aliases.Where(a => !store.IsKeyEntry(a)).Select(store.GetCertificate).Where(e => e is not null))
        {
            if (!chain.Contains(extra.Certificate))
                chain.Add(extra.Certificate);
        }

        return (chain[0], chain, store.GetKey(alias).Key);
    }

    private static (BcCertificate, IReadOnlyList<BcCertificate>, AsymmetricKeyParameter)? ReadPem(SMimeIdentity identity, string where, List<string> errors)
    {
        byte[]? certificateBytes;
        string certificateWhere;
        if (!string.IsNullOrWhiteSpace(identity.CertificatePath))
        {
            certificateWhere = $"{where}:CertificatePath";
            if (!string.IsNullOrWhiteSpace(identity.CertificatePem))
            {
                errors.Add($"{where} sets both CertificatePath and CertificatePem: keep one.");
                return null;
            }

            certificateBytes = ReadFile(identity.CertificatePath, certificateWhere, errors);
        }
        else if (!string.IsNullOrWhiteSpace(identity.CertificatePem))
        {
            certificateWhere = $"{where}:CertificatePem";
            certificateBytes = System.Text.Encoding.ASCII.GetBytes(identity.CertificatePem);
        }
        else
        {
            errors.Add($"{where} has a private key but no certificate: set CertificatePath or CertificatePem.");
            return null;
        }

        string? keyText;
        string keyWhere;
        if (!string.IsNullOrWhiteSpace(identity.PrivateKeyPath))
        {
            keyWhere = $"{where}:PrivateKeyPath";
            if (!string.IsNullOrWhiteSpace(identity.PrivateKeyPem))
            {
                errors.Add($"{where} sets both PrivateKeyPath and PrivateKeyPem: keep one.");
                return null;
            }

            keyText = ReadFile(identity.PrivateKeyPath, keyWhere, errors) is { } bytes ? System.Text.Encoding.ASCII.GetString(bytes) : null;
        }
        else if (!string.IsNullOrWhiteSpace(identity.PrivateKeyPem))
        {
            keyWhere = $"{where}:PrivateKeyPem";
            keyText = identity.PrivateKeyPem;
        }
        else
        {
            errors.Add($"{where} has a certificate but no private key: set PrivateKeyPath or PrivateKeyPem (or use PfxPath).");
            return null;
        }

        if (certificateBytes is null || keyText is null)
            return null;
        var chain = ParseCertificates(certificateBytes, certificateWhere, errors);
        if (chain.Count == 0)
            return null;
        var key = ReadPemKey(keyText, identity.PrivateKeyPassword, keyWhere, $"{where}:PrivateKeyPassword", errors);
        return key is null ? null : (chain[0], chain, key);
    }

    private static AsymmetricKeyParameter? ReadPemKey(string pem, string? password, string where, string passwordWhere, List<string> errors)
    {
        var encrypted = pem.Contains("ENCRYPTED", StringComparison.Ordinal);
        if (encrypted && string.IsNullOrEmpty(password))
        {
            errors.Add($"{where} holds an encrypted private key: set {passwordWhere}.");
            return null;
        }

        object? read;
        try
        {
            using var reader = new StringReader(pem);
            read = new PemReader(reader, encrypted ? new Password(password!) : null).ReadObject();
        }
        catch (Exception e) when (e is IOException or PemException or ArgumentException or InvalidOperationException or FormatException or InvalidCastException or InvalidCipherTextException or SecurityUtilityException or Org.BouncyCastle.Asn1.Asn1Exception or CryptoException)
        {
            // The parser's message can quote the input: only its type is reported.
            errors.Add(encrypted
                ? $"{where} cannot be decrypted: {passwordWhere} is wrong, or the key is damaged ({e.GetType().Name})."
                : $"{where} is not a readable PEM private key ({e.GetType().Name}); expected '-----BEGIN PRIVATE KEY-----', '-----BEGIN ENCRYPTED PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----'.");
            return null;
        }

        var key = read switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } parameter => parameter,
            _ => null,
        };
        if (key is null)
            errors.Add($"{where} holds {(read is null ? "no PEM block" : "a " + read.GetType().Name)}, not a private key.");
        return key;
    }

    private static (BcCertificate, IReadOnlyList<BcCertificate>, AsymmetricKeyParameter)? ReadFromStore(SMimeIdentity identity, string where, List<string> errors)
    {
        var thumbprintWhere = $"{where}:CertificateThumbprint";
        var thumbprint = identity.CertificateThumbprint!.Replace(" ", string.Empty, StringComparison.Ordinal).Replace(":", string.Empty, StringComparison.Ordinal);
        if (thumbprint.Length != 40 || !thumbprint.All(Uri.IsHexDigit))
        {
            errors.Add($"{thumbprintWhere} '{Printable(identity.CertificateThumbprint)}' must be the 40 hex digits of the certificate's SHA-1 thumbprint.");
            return null;
        }

        var storeName = $"{identity.CertificateStoreLocation}/{identity.CertificateStoreName}";
        try
        {
            using var store = new X509Store(identity.CertificateStoreName, identity.CertificateStoreLocation);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false);
            try
            {
                if (found.Count == 0)
                {
                    errors.Add($"{thumbprintWhere}: no certificate {thumbprint} in store {storeName}.");
                    return null;
                }

                var certificate = found[0];
                AsymmetricKeyParameter? key = null;
                using (var rsa = certificate.GetRSAPrivateKey())
                {
                    if (rsa is not null)
                        key = DotNetUtilities.GetRsaKeyPair(rsa.ExportParameters(includePrivateParameters: true)).Private;
                }

                if (key is null)
                {
                    errors.Add(certificate.HasPrivateKey
                        ? $"{thumbprintWhere}: certificate {thumbprint} has no RSA private key; give an EC identity as PKCS#12 or PEM."
                        : $"{thumbprintWhere}: certificate {thumbprint} has no private key in store {storeName}.");
                    return null;
                }

                var bc = DotNetUtilities.FromX509Certificate(certificate);
                return (bc, [bc], key);
            }
            finally
            {
                foreach (var certificate in found)
                    certificate.Dispose();
            }
        }
        catch (CryptographicException e)
        {
            errors.Add($"{thumbprintWhere}: cannot read the private key of certificate {thumbprint} from store {storeName}; it must be exportable ({e.GetType().Name}: {e.Message}).");
            return null;
        }
    }

    private static List<BcCertificate> ReadSystemRoots(string where, List<string> errors)
    {
        try
        {
            using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
            store.Open(OpenFlags.ReadOnly);
            var roots = new List<BcCertificate>();
            foreach (var certificate in store.Certificates)
            {
                using (certificate)
                    roots.Add(DotNetUtilities.FromX509Certificate(certificate));
            }

            return roots;
        }
        catch (CryptographicException e)
        {
            errors.Add($"{where} is true but the system root store cannot be read ({e.GetType().Name}: {e.Message}).");
            return [];
        }
    }

    private static List<BcCertificate> ReadCertificateSource(string location, string where, bool folderOnly, List<string> errors)
    {
        var result = new List<BcCertificate>();
        if (Directory.Exists(location))
        {
            string[] files;
            try
            {
                files = Directory.EnumerateFiles(location)
                    .Where(f => CertificateExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Take(MaxFolderFiles + 1)
                    .Order(StringComparer.Ordinal)
                    .ToArray();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{where}: cannot list '{location}' ({e.GetType().Name}: {e.Message}).");
                return result;
            }

            if (files.Length > MaxFolderFiles)
            {
                errors.Add($"{where}: '{location}' has more than {MaxFolderFiles} certificate files; is it the right folder?");
                return result;
            }

            foreach (var file in files)
            {
                if (ReadFile(file, where, errors) is { } bytes)
                    result.AddRange(ParseCertificates(bytes, $"{where} ({Path.GetFileName(file)})", errors));
            }

            return result;
        }

        if (folderOnly)
        {
            errors.Add($"{where}: no folder at '{location}'.");
            return result;
        }

        if (ReadFile(location, where, errors) is { } single)
            result.AddRange(ParseCertificates(single, where, errors));
        return result;
    }

    private static List<BcCertificate> ParseCertificates(byte[] bytes, string where, List<string> errors)
    {
        try
        {
            var certificates = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificates(bytes).ToList();
            if (certificates.Count == 0)
                errors.Add($"{where} holds no certificate (expected PEM '-----BEGIN CERTIFICATE-----' or DER).");
            return certificates;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FormatException or InvalidCastException or Org.BouncyCastle.Asn1.Asn1Exception or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            errors.Add($"{where} is not a readable certificate ({e.GetType().Name}); expected PEM '-----BEGIN CERTIFICATE-----' or DER.");
            return [];
        }
    }

    private static byte[]? ReadFile(string file, string where, List<string> errors)
    {
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists)
            {
                errors.Add($"{where}: no file at '{file}'.");
                return null;
            }

            if (info.Length > MaxFileBytes)
            {
                errors.Add($"{where}: '{file}' is {info.Length} bytes, over the {MaxFileBytes} of any certificate or key file; is it the right file?");
                return null;
            }

            return File.ReadAllBytes(info.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            errors.Add($"{where}: cannot read '{file}' ({e.GetType().Name}: {e.Message}).");
            return null;
        }
    }

    private static bool KeyMatches(AsymmetricKeyParameter publicKey, AsymmetricKeyParameter privateKey) => (publicKey, privateKey) switch
    {
        (RsaKeyParameters pub, RsaPrivateCrtKeyParameters priv) => pub.Modulus.Equals(priv.Modulus) && pub.Exponent.Equals(priv.PublicExponent),
        (RsaKeyParameters pub, RsaKeyParameters priv) => pub.Modulus.Equals(priv.Modulus),
        (ECPublicKeyParameters pub, ECPrivateKeyParameters priv) => pub.Parameters.G.Multiply(priv.D).Normalize().Equals(pub.Q.Normalize()),
        _ => false,
    };

    private static string? WeakKey(AsymmetricKeyParameter key) => key switch
    {
        RsaKeyParameters rsa when rsa.Modulus.BitLength < MinRsaBits => $"a {rsa.Modulus.BitLength}-bit RSA key, under the {MinRsaBits} bits RFC 8551 asks for",
        DsaKeyParameters => "a DSA key, which S/MIME no longer uses",
        _ => null,
    };

    private static string Printable(string? value) =>
        value is null ? string.Empty : new string(value.Take(100).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    private sealed class Password(string value) : IPasswordFinder
    {
        public char[] GetPassword() => value.ToCharArray();
    }
}
