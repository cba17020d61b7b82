using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Checks <see cref="OpenPgpOptions"/> and reads every key once, at start. Each error names the configuration key to
/// fix; none quotes key material or a passphrase (messages of the OpenPGP parser are not passed on, only their type).
/// </summary>
internal static class OpenPgpKeyLoader
{
    /// <summary>A keyring of a few hundred keys is a few MB; a larger file is a wrong one.</summary>
    public const long MaxKeyFileBytes = 16 * 1024 * 1024;

    /// <summary>Validates the options and loads the keys; on any error returns no keyring and every error found.</summary>
    public static (OpenPgpKeyring? Keyring, List<string> Errors) Load(OpenPgpOptions options, string path)
    {
        var errors = new List<string>();
        if (options.DigestAlgorithm is not (DigestAlgorithm.Sha256 or DigestAlgorithm.Sha384 or DigestAlgorithm.Sha512))
            errors.Add($"{path}:DigestAlgorithm '{options.DigestAlgorithm}' must be Sha256, Sha384 or Sha512 (SHA-1 and older digests are refused).");
        if (options.EncryptionAlgorithm is not (EncryptionAlgorithm.Aes128 or EncryptionAlgorithm.Aes192 or EncryptionAlgorithm.Aes256))
            errors.Add($"{path}:EncryptionAlgorithm '{options.EncryptionAlgorithm}' must be Aes256, Aes192 or Aes128.");
        if (!Enum.IsDefined(options.Sign))
            errors.Add($"{path}:Sign '{options.Sign}' must be Never, WhenKeyAvailable or Always.");
        if (!Enum.IsDefined(options.Encrypt))
            errors.Add($"{path}:Encrypt '{options.Encrypt}' must be Never, WhenAllRecipientsHaveKeys or Always.");
        if (options.MaxDecryptedSize <= 0)
            errors.Add($"{path}:MaxDecryptedSize must be positive (was {options.MaxDecryptedSize}).");
        if (options.PublicKeys.Count == 0 && options.SecretKeys.Count == 0)
            errors.Add($"{path} has no keys: add PublicKeys (to encrypt and verify) or SecretKeys (to sign and decrypt).");

        var publicRings = new List<PgpPublicKeyRing>();
        var seen = new HashSet<long>();
        for (var i = 0; i < options.PublicKeys.Count; i++)
        {
            var where = $"{path}:PublicKeys:{i}";
            foreach (var ring in ReadRings<PgpPublicKeyRing>(options.PublicKeys[i], where, errors))
            {
                if (seen.Add(ring.GetPublicKey().KeyId))
                    publicRings.Add(ring);
            }
        }

        var secretRings = new List<PgpSecretKeyRing>();
        var passphrases = new Dictionary<long, string>();
        for (var i = 0; i < options.SecretKeys.Count; i++)
        {
            var where = $"{path}:SecretKeys:{i}";
            var source = options.SecretKeys[i];
            foreach (var ring in ReadRings<PgpSecretKeyRing>(source, where, errors))
            {
                var primary = ring.GetPublicKey();
                if (secretRings.Any(r => r.GetPublicKey().KeyId == primary.KeyId))
                {
                    errors.Add($"{where} repeats secret key {OpenPgpKeyring.KeyIdText(primary.KeyId)}, given by an earlier entry; keep one.");
                    continue;
                }

                if (!Unlocks(ring, source?.Passphrase, options.AllowUnprotectedSecretKeys, where, errors))
                    continue;
                secretRings.Add(ring);
                foreach (PgpSecretKey key in ring.GetSecretKeys())
                    passphrases[key.KeyId] = source?.Passphrase ?? string.Empty;

                // Our own public key: to verify our own signatures and to encrypt to ourselves (Sent copies).
                if (seen.Add(primary.KeyId))
                    publicRings.Add(PublicHalf(ring));
            }
        }

        if (errors.Count > 0)
            return (null, errors);

        var secretBundle = new PgpSecretKeyRingBundle(secretRings.Cast<PgpObject>());
        var signingKeys = new Dictionary<string, PgpSecretKey>(StringComparer.OrdinalIgnoreCase);
        foreach (var (address, fingerprint) in options.SigningKeys)
        {
            var where = $"{path}:SigningKeys:{address}";
            if (OpenPgpKeyring.AddressOf($"<{address}>") is null)
            {
                errors.Add($"{where}: '{OpenPgpKeyring.Printable(address)}' is not an email address.");
                continue;
            }

            var hex = (fingerprint ?? string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal).Replace(":", string.Empty, StringComparison.Ordinal);
            if (hex.Length != 40 || !hex.All(Uri.IsHexDigit))
            {
                errors.Add($"{where} '{OpenPgpKeyring.Printable(fingerprint)}' must be the 40 hex digits of a key fingerprint (gpg --fingerprint).");
                continue;
            }

            var key = secretRings.SelectMany(r => r.GetSecretKeys())
                .FirstOrDefault(k => string.Equals(OpenPgpKeyring.Fingerprint(k.PublicKey), hex, StringComparison.OrdinalIgnoreCase));
            if (key is null)
                errors.Add($"{where}: no secret key with fingerprint {hex.ToUpperInvariant()} in {path}:SecretKeys.");
            else if (key.IsPrivateKeyEmpty || !OpenPgpKeyring.CanSign(secretBundle.GetSecretKeyRing(key.KeyId).GetPublicKey(), key.PublicKey))
                errors.Add($"{where}: key {hex.ToUpperInvariant()} cannot sign (it is an encryption key, or its secret part was not exported).");
            else
                signingKeys[address.Trim()] = key;
        }

        if (errors.Count > 0)
            return (null, errors);
        return (new OpenPgpKeyring(new PgpPublicKeyRingBundle(publicRings.Cast<PgpObject>()), secretBundle, passphrases, signingKeys), errors);
    }

    /// <summary>The keyrings of one source, of the kind wanted; an entry of the other kind, or unreadable data, is an error.</summary>
    private static List<T> ReadRings<T>(OpenPgpKeySource? source, string where, List<string> errors)
        where T : class
    {
        var rings = new List<T>();
        if (source is null)
        {
            errors.Add($"{where} is empty.");
            return rings;
        }

        var hasPath = !string.IsNullOrWhiteSpace(source.Path);
        var hasText = !string.IsNullOrWhiteSpace(source.Armored);
        if (hasPath == hasText)
        {
            errors.Add(hasPath
                ? $"{where} sets both Path and Armored: keep exactly one."
                : $"{where} has no keys: set Path (a file as gpg --export --armor writes it) or Armored (the armored text).");
            return rings;
        }

        byte[] data;
        string what;
        if (hasPath)
        {
            what = $"{where}:Path";
            try
            {
                var info = new FileInfo(source.Path!);
                if (!info.Exists)
                {
                    errors.Add($"{what}: no file at '{source.Path}'.");
                    return rings;
                }

                if (info.Length > MaxKeyFileBytes)
                {
                    errors.Add($"{what}: '{source.Path}' is {info.Length} bytes, over the {MaxKeyFileBytes} allowed for a keyring; is it the right file?");
                    return rings;
                }

                data = File.ReadAllBytes(info.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                errors.Add($"{what}: cannot read '{source.Path}' ({ex.GetType().Name}: {ex.Message}).");
                return rings;
            }
        }
        else
        {
            what = $"{where}:Armored";
            if (source.Armored!.Length > MaxKeyFileBytes)
            {
                errors.Add($"{what} is {source.Armored.Length} characters, over the {MaxKeyFileBytes} allowed for a keyring.");
                return rings;
            }

            data = System.Text.Encoding.ASCII.GetBytes(source.Armored);
        }

        var wanted = typeof(T) == typeof(PgpPublicKeyRing) ? "public keys" : "secret keys";
        try
        {
            using var input = PgpUtilities.GetDecoderStream(new MemoryStream(data, writable: false));
            var factory = new PgpObjectFactory(input);
            PgpObject? next;
            while ((next = factory.NextPgpObject()) is not null)
            {
                switch (next)
                {
                    case T ring:
                        rings.Add(ring);
                        break;
                    case PgpSecretKeyRing:
                        errors.Add($"{what} holds a secret key; secret keys belong under SecretKeys, with their passphrase.");
                        return [];
                    case PgpPublicKeyRing:
                        errors.Add($"{what} holds a public key where secret keys are expected (export them with gpg --export-secret-keys --armor).");
                        return [];
                    default:
                        // Markers and trust packets that some exports carry.
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or PgpException or ArgumentException or InvalidOperationException or FormatException or InvalidCastException or EndOfStreamException)
        {
            // The parser's message can quote the input: only its type is reported.
            errors.Add($"{what} is not a readable OpenPGP keyring ({ex.GetType().Name}); expected what gpg --export{(wanted == "secret keys" ? "-secret-keys" : string.Empty)} --armor writes.");
            return [];
        }

        if (rings.Count == 0)
            errors.Add($"{what} holds no {wanted}; expected what gpg --export{(wanted == "secret keys" ? "-secret-keys" : string.Empty)} --armor writes.");
        return rings;
    }

    /// <summary>Whether the passphrase unlocks every secret key of the ring that has secret material (a stub of gpg --export-secret-subkeys has none).</summary>
    private static bool Unlocks(PgpSecretKeyRing ring, string? passphrase, bool allowUnprotected, string where, List<string> errors)
    {
        var ok = true;
        foreach (PgpSecretKey key in ring.GetSecretKeys())
        {
            if (key.IsPrivateKeyEmpty)
                continue;
            var id = OpenPgpKeyring.KeyIdText(key.KeyId);
            if (key.KeyEncryptionAlgorithm == SymmetricKeyAlgorithmTag.Null)
            {
                if (!allowUnprotected)
                {
                    errors.Add($"{where}: secret key {id} has no passphrase; protect it (gpg --passwd) or set AllowUnprotectedSecretKeys.");
                    ok = false;
                }

                continue;
            }

            if (string.IsNullOrEmpty(passphrase))
            {
                errors.Add($"{where}:Passphrase is required: secret key {id} is protected by one.");
                return false;
            }

            try
            {
                key.ExtractPrivateKey(passphrase.ToCharArray());
            }
            catch (Exception ex) when (ex is PgpException or ArgumentException or InvalidOperationException or IOException)
            {
                errors.Add($"{where}:Passphrase does not unlock secret key {id}.");
                return false;
            }
        }

        return ok;
    }

    /// <summary>The public keyring of a secret keyring: every public key with its user ids and signatures.</summary>
    private static PgpPublicKeyRing PublicHalf(PgpSecretKeyRing ring)
    {
        using var buffer = new MemoryStream();
        foreach (PgpPublicKey key in ring.GetPublicKeys())
            key.Encode(buffer);
        return new PgpPublicKeyRing(buffer.ToArray());
    }
}
