using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Checks <see cref="DkimSigningOptions"/> and loads every key once, at start. Each error names the configuration
/// key to fix; none quotes key material (no exception message of the PEM parser is passed on, since it could echo a line).
/// </summary>
internal static class DkimKeyLoader
{
    /// <summary>RFC 8301: signers must use at least 1024 bits.</summary>
    public const int MinRsaBits = 1024;

    /// <summary>RFC 8301 asks verifiers to handle up to 4096 bits; a larger key is refused by many receivers.</summary>
    public const int MaxRsaBits = 4096;

    /// <summary>A PEM key is a few KB; a larger "key" is a wrong file.</summary>
    public const long MaxKeyFileBytes = 64 * 1024;

    private static readonly string[] ForbiddenHeaders =
        ["return-path", "received", "comments", "keywords", "bcc", "resent-bcc", "dkim-signature", "content-length"];

    /// <summary>Validates the options and loads the keys; on any error returns no keys and every error found.</summary>
    public static (DkimKeyRing? Ring, List<string> Errors) Load(DkimSigningOptions options, string path, TimeProvider timeProvider)
    {
        var errors = new List<string>();
        var (header, body) = ParseCanonicalization(options.Canonicalization, $"{path}:Canonicalization", errors);
        var signed = CheckHeaderList((IEnumerable<string?>?)options.SignedHeaders ?? DkimSigningOptions.DefaultSignedHeaders, $"{path}:SignedHeaders", errors, requireFrom: true);
        var oversigned = CheckHeaderList((IEnumerable<string?>?)options.OversignedHeaders ?? ["From"], $"{path}:OversignedHeaders", errors, requireFrom: false);
        foreach (var name in oversigned)
        {
            if (!DkimHeaderSelection.Covers(signed, name))
                errors.Add($"{path}:OversignedHeaders lists '{name}', which {path}:SignedHeaders does not sign; sign it too, or remove it.");
        }

        long? lifetimeSeconds = null;
        if (options.SignatureLifetime is { } lifetime)
        {
            if (lifetime <= TimeSpan.Zero || lifetime.Ticks % TimeSpan.TicksPerSecond != 0)
                errors.Add($"{path}:SignatureLifetime must be a positive whole number of seconds (was {lifetime}).");
            else
                lifetimeSeconds = (long)lifetime.TotalSeconds;
        }

        if (options.Keys.Count == 0)
            errors.Add($"{path}:Keys is empty: add at least one key with Domain, Selector and a private key.");

        var keys = new List<DkimKey>();
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var keyPath = $"{path}:Keys:{i}";
            var key = options.Keys[i];
            if (key is null)
            {
                errors.Add($"{keyPath} is empty.");
                continue;
            }

            var loaded = LoadKey(key, keyPath, header, body, lifetimeSeconds, timeProvider, errors);
            if (loaded is null)
                continue;
            if (!seen.Add((loaded.Domain, loaded.Selector)))
            {
                errors.Add($"{keyPath} repeats selector '{loaded.Selector}' of domain '{loaded.Domain}': two keys cannot share one DNS record.");
                continue;
            }

            keys.Add(loaded);
        }

        return errors.Count == 0
            ? (new DkimKeyRing(keys, new DkimHeaderSelection(signed, oversigned)), errors)
            : (null, errors);
    }

    private static DkimKey? LoadKey(
        DkimSigningKey key, string keyPath, DkimCanonicalizationAlgorithm header, DkimCanonicalizationAlgorithm body,
        long? lifetimeSeconds, TimeProvider timeProvider, List<string> errors)
    {
        var before = errors.Count;
        var domain = NormalizeDomain(key.Domain, $"{keyPath}:Domain", errors);
        var selector = key.Selector?.Trim() ?? string.Empty;
        if (selector.Length == 0)
            errors.Add($"{keyPath}:Selector is required: the name the public key is published under ({{Selector}}._domainkey.{{Domain}}).");
        else if (!IsDnsName(selector))
            errors.Add($"{keyPath}:Selector '{Printable(selector)}' must be DNS labels of letters, digits and hyphens, separated by dots.");

        DkimSignatureAlgorithm? algorithm = (key.Algorithm ?? string.Empty).Trim().ToLowerInvariant() switch
        {
            DkimSigningKey.RsaSha256 => DkimSignatureAlgorithm.RsaSha256,
            DkimSigningKey.Ed25519Sha256 => DkimSignatureAlgorithm.Ed25519Sha256,
            _ => null,
        };
        if (algorithm is null)
            errors.Add($"{keyPath}:Algorithm '{Printable(key.Algorithm)}' must be {DkimSigningKey.RsaSha256} or {DkimSigningKey.Ed25519Sha256}.");

        string? auid = null;
        if (!string.IsNullOrWhiteSpace(key.AgentOrUserIdentifier))
        {
            auid = key.AgentOrUserIdentifier.Trim();
            var at = auid.LastIndexOf('@');
            var auidDomain = at < 0 ? null : NormalizeDomain(auid[(at + 1)..], $"{keyPath}:AgentOrUserIdentifier", errors);
            if (at < 0 || auid.Any(c => c is <= ' ' or > '~' or ';'))
                errors.Add($"{keyPath}:AgentOrUserIdentifier '{Printable(auid)}' must be an address or '@domain', such as '@news.example.com'.");
            else if (auidDomain is not null && domain is not null && !DkimKeyRing.IsSameOrSubdomain(auidDomain, domain))
                errors.Add($"{keyPath}:AgentOrUserIdentifier '{Printable(auid)}' must be in {keyPath}:Domain '{domain}' or a subdomain of it.");
        }

        var sources = (string.IsNullOrWhiteSpace(key.PrivateKeyPath) ? 0 : 1)
            + (string.IsNullOrWhiteSpace(key.PrivateKeyPem) ? 0 : 1)
            + (string.IsNullOrWhiteSpace(key.CertificateThumbprint) ? 0 : 1);
        if (sources != 1)
        {
            errors.Add(sources == 0
                ? $"{keyPath} has no private key: set one of PrivateKeyPath, PrivateKeyPem or CertificateThumbprint."
                : $"{keyPath} sets more than one of PrivateKeyPath, PrivateKeyPem and CertificateThumbprint: keep exactly one.");
        }

        if (errors.Count > before || algorithm is null || domain is null)
            return null;

        var privateKey = ReadPrivateKey(key, keyPath, errors);
        if (privateKey is null || !CheckKey(privateKey, algorithm.Value, keyPath, errors))
            return null;

        var signer = new TimedDkimSigner(privateKey, domain, selector, algorithm.Value, timeProvider)
        {
            HeaderCanonicalizationAlgorithm = header,
            BodyCanonicalizationAlgorithm = body,
            AgentOrUserIdentifier = auid,
        };
        if (lifetimeSeconds is { } seconds)
            signer.SignaturesExpireAfter = TimeSpan.FromSeconds(seconds);
        return new DkimKey(domain, selector, key.Algorithm!.Trim().ToLowerInvariant(), key.SignSubdomains, signer);
    }

    internal static AsymmetricKeyParameter? ReadPrivateKey(DkimSigningKey key, string keyPath, List<string> errors)
    {
        if (!string.IsNullOrWhiteSpace(key.CertificateThumbprint))
            return ReadFromStore(key, keyPath, errors);

        string pem;
        string where;
        if (!string.IsNullOrWhiteSpace(key.PrivateKeyPath))
        {
            where = $"{keyPath}:PrivateKeyPath";
            try
            {
                var info = new FileInfo(key.PrivateKeyPath);
                if (!info.Exists)
                {
                    errors.Add($"{where}: no file at '{key.PrivateKeyPath}'.");
                    return null;
                }

                if (info.Length > MaxKeyFileBytes)
                {
                    errors.Add($"{where}: '{key.PrivateKeyPath}' is {info.Length} bytes, over the {MaxKeyFileBytes} of any PEM key; is it the right file?");
                    return null;
                }

                pem = File.ReadAllText(info.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                errors.Add($"{where}: cannot read '{key.PrivateKeyPath}' ({ex.GetType().Name}: {ex.Message}).");
                return null;
            }
        }
        else
        {
            where = $"{keyPath}:PrivateKeyPem";
            pem = key.PrivateKeyPem!;
            if (pem.Length > MaxKeyFileBytes)
            {
                errors.Add($"{where} is {pem.Length} characters, over the {MaxKeyFileBytes} of any PEM key.");
                return null;
            }
        }

        if (pem.Contains("ENCRYPTED", StringComparison.Ordinal))
        {
            errors.Add($"{where} holds an encrypted private key: store it unencrypted with restricted file permissions (openssl pkey -in key.pem -out plain.pem), or use a certificate store.");
            return null;
        }

        object? read;
        try
        {
            using var reader = new StringReader(pem);
            read = new PemReader(reader).ReadObject();
        }
        catch (Exception ex) when (ex is IOException or PemException or ArgumentException or InvalidOperationException or FormatException or InvalidCastException or SecurityUtilityException or Org.BouncyCastle.Asn1.Asn1Exception)
        {
            // The parser's message can quote the input: only its type is reported.
            errors.Add($"{where} is not a readable PEM private key ({ex.GetType().Name}); expected '-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----'.");
            return null;
        }

        var privateKey = read switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } parameter => parameter,
            _ => null,
        };
        if (privateKey is null)
        {
            errors.Add(read is null
                ? $"{where} holds no PEM block; expected '-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----'."
                : $"{where} holds a {Describe(read)}, not a private key.");
        }

        return privateKey;
    }

    private static AsymmetricKeyParameter? ReadFromStore(DkimSigningKey key, string keyPath, List<string> errors)
    {
        var where = $"{keyPath}:CertificateThumbprint";
        var thumbprint = key.CertificateThumbprint!.Replace(" ", string.Empty, StringComparison.Ordinal).Replace(":", string.Empty, StringComparison.Ordinal);
        if (thumbprint.Length != 40 || !thumbprint.All(Uri.IsHexDigit))
        {
            errors.Add($"{where} '{Printable(key.CertificateThumbprint)}' must be the 40 hex digits of the certificate's SHA-1 thumbprint.");
            return null;
        }

        try
        {
            using var store = new X509Store(key.CertificateStoreName, key.CertificateStoreLocation);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false);
            try
            {
                if (found.Count == 0)
                {
                    errors.Add($"{where}: no certificate {thumbprint} in store {key.CertificateStoreLocation}/{key.CertificateStoreName}.");
                    return null;
                }

                var certificate = found[0];
                using var rsa = certificate.GetRSAPrivateKey();
                if (rsa is null)
                {
                    errors.Add(certificate.HasPrivateKey
                        ? $"{where}: certificate {thumbprint} has no RSA private key; certificates can hold rsa-sha256 keys only (give an Ed25519 key as PEM)."
                        : $"{where}: certificate {thumbprint} has no private key in store {key.CertificateStoreLocation}/{key.CertificateStoreName}.");
                    return null;
                }

                return DotNetUtilities.GetRsaKeyPair(rsa.ExportParameters(includePrivateParameters: true)).Private;
            }
            finally
            {
                foreach (var certificate in found)
                    certificate.Dispose();
            }
        }
        catch (CryptographicException ex)
        {
            errors.Add($"{where}: cannot read the private key of certificate {thumbprint} from store {key.CertificateStoreLocation}/{key.CertificateStoreName}; it must be exportable ({ex.GetType().Name}: {ex.Message}).");
            return null;
        }
    }

    internal static bool CheckKey(AsymmetricKeyParameter privateKey, DkimSignatureAlgorithm algorithm, string keyPath, List<string> errors)
    {
        switch (privateKey)
        {
            case RsaKeyParameters rsa when algorithm == DkimSignatureAlgorithm.RsaSha256:
                var bits = rsa.Modulus.BitLength;
                if (bits < MinRsaBits)
                    errors.Add($"{keyPath} is a {bits}-bit RSA key: DKIM keys must have at least {MinRsaBits} bits (RFC 8301), and 2048 is recommended.");
                else if (bits > MaxRsaBits)
                    errors.Add($"{keyPath} is a {bits}-bit RSA key: over {MaxRsaBits} bits many receivers cannot verify it (RFC 8301); use 2048.");
                else
                    return true;
                return false;
            case Ed25519PrivateKeyParameters when algorithm == DkimSignatureAlgorithm.Ed25519Sha256:
                return true;
            default:
                var wanted = algorithm == DkimSignatureAlgorithm.RsaSha256 ? "an RSA key" : "an Ed25519 key";
                errors.Add($"{keyPath}:Algorithm is {(algorithm == DkimSignatureAlgorithm.RsaSha256 ? DkimSigningKey.RsaSha256 : DkimSigningKey.Ed25519Sha256)}, which needs {wanted}, but the private key is {Describe(privateKey)}.");
                return false;
        }
    }

    private static string Describe(object value) => value switch
    {
        RsaKeyParameters => "an RSA key",
        Ed25519PrivateKeyParameters or Ed25519PublicKeyParameters => "an Ed25519 key",
        ECKeyParameters => "an EC key",
        AsymmetricKeyParameter { IsPrivate: false } => "public key",
        Org.BouncyCastle.X509.X509Certificate => "certificate",
        _ => value.GetType().Name,
    };

    private static (DkimCanonicalizationAlgorithm Header, DkimCanonicalizationAlgorithm Body) ParseCanonicalization(string? value, string where, List<string> errors)
    {
        var parts = (value ?? string.Empty).Trim().ToLowerInvariant().Split('/');
        if (parts.Length == 2 && TryParse(parts[0], out var header) && TryParse(parts[1], out var body))
            return (header, body);
        errors.Add($"{where} '{Printable(value)}' must be header/body canonicalization: relaxed/relaxed, relaxed/simple, simple/relaxed or simple/simple.");
        return (DkimCanonicalizationAlgorithm.Relaxed, DkimCanonicalizationAlgorithm.Relaxed);

        static bool TryParse(string text, out DkimCanonicalizationAlgorithm algorithm)
        {
            algorithm = text == "simple" ? DkimCanonicalizationAlgorithm.Simple : DkimCanonicalizationAlgorithm.Relaxed;
            return text is "simple" or "relaxed";
        }
    }

    /// <summary>
    /// Checks a list of header field names: printable, not one of <paramref name="forbidden"/> (the DKIM list by
    /// default), each once; with <paramref name="requireFrom"/>, From must be there.
    /// </summary>
    internal static string[] CheckHeaderList(IEnumerable<string?> names, string where, List<string> errors, bool requireFrom, string[]? forbidden = null, string fromRule = "DKIM always signs it (RFC 6376 5.4)")
    {
        var result = new List<string>();
        foreach (var raw in names)
        {
            var name = raw?.Trim() ?? string.Empty;
            var bare = name.EndsWith('*') ? name[..^1] : name;
            if (bare.Length == 0 || !bare.All(c => c is > ' ' and < (char)127 and not ':' and not '*'))
            {
                errors.Add($"{where} has '{Printable(raw)}', which is not a header field name (printable ASCII without ':'; a trailing '*' matches a prefix).");
                continue;
            }

            var lower = name.ToLowerInvariant();
            var covered = (forbidden ?? ForbiddenHeaders).FirstOrDefault(f => lower.EndsWith('*') ? f.StartsWith(lower[..^1], StringComparison.Ordinal) : f == lower);
            if (covered is not null)
            {
                errors.Add($"{where} has '{name}', which covers {covered}: relays add or change it, so a signature over it breaks; remove it.");
                continue;
            }

            if (!result.Contains(name, StringComparer.OrdinalIgnoreCase))
                result.Add(name);
        }

        if (requireFrom && !result.Contains("From", StringComparer.OrdinalIgnoreCase))
            errors.Add($"{where} must include From: {fromRule}.");
        return result.ToArray();
    }

    internal static string? NormalizeDomain(string? value, string where, List<string> errors)
    {
        var text = value?.Trim().TrimEnd('.') ?? string.Empty;
        if (text.Length == 0)
        {
            errors.Add($"{where} is required: the domain of the From addresses this key signs.");
            return null;
        }

        try
        {
            var ascii = new IdnMapping().GetAscii(text).ToLowerInvariant();
            if (IsDnsName(ascii) && ascii.Contains('.', StringComparison.Ordinal))
                return ascii;
        }
        catch (ArgumentException)
        {
            // reported below
        }

        errors.Add($"{where} '{Printable(value)}' is not a domain name such as example.com.");
        return null;
    }

    internal static bool IsDnsName(string name)
    {
        if (name.Length is 0 or > 253)
            return false;
        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
                return false;
            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
                    return false;
            }
        }

        return true;
    }

    /// <summary>Configuration values quoted in errors, with line breaks and control characters made visible.</summary>
    internal static string Printable(string? value) =>
        value is null ? string.Empty : new string(value.Take(100).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
