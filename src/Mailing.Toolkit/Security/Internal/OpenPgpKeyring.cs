using System.Globalization;
using MimeKit;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Bcpg.Sig;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// The OpenPGP keys of one container, in memory: the public keyrings (correspondents' and the public halves of our own),
/// the secret keyrings with the passphrase of each secret key, and the signing keys chosen per address. Immutable once
/// loaded; every question that depends on the time (expired?) takes the time as an argument.
/// </summary>
internal sealed class OpenPgpKeyring
{
    private readonly Dictionary<long, string> passphrases;
    private readonly Dictionary<string, PgpSecretKey> signingKeys;

    public OpenPgpKeyring(
        PgpPublicKeyRingBundle publicKeys,
        PgpSecretKeyRingBundle secretKeys,
        Dictionary<long, string> passphrases,
        Dictionary<string, PgpSecretKey> signingKeys)
    {
        PublicKeys = publicKeys;
        SecretKeys = secretKeys;
        this.passphrases = passphrases;
        this.signingKeys = signingKeys;
    }

    public PgpPublicKeyRingBundle PublicKeys { get; }

    public PgpSecretKeyRingBundle SecretKeys { get; }

    /// <summary>The passphrase of a secret key, or the empty string for a key without one.</summary>
    public string PassphraseOf(long keyId) => passphrases.TryGetValue(keyId, out var passphrase) ? passphrase : string.Empty;

    /// <summary>
    /// The key to sign mail from <paramref name="address"/> with: the configured one, or else the newest usable signing
    /// key of a secret keyring whose user id has that address. <paramref name="why"/> says why there is none.
    /// </summary>
    public PgpSecretKey? SigningKeyFor(string address, DateTimeOffset now, out string? why)
    {
        why = null;
        if (signingKeys.TryGetValue(address, out var configured))
        {
            var ring = SecretKeys.GetSecretKeyRing(configured.KeyId);
            why = Unusable(ring.GetPublicKey(), configured.PublicKey, now);
            return why is null ? configured : null;
        }

        PgpSecretKey? best = null;
        string? reason = null;
        foreach (PgpSecretKeyRing ring in SecretKeys.GetKeyRings())
        {
            var primary = ring.GetPublicKey();
            if (!HasAddress(primary, address))
                continue;
            foreach (PgpSecretKey key in ring.GetSecretKeys())
            {
                if (key.IsPrivateKeyEmpty || !CanSign(primary, key.PublicKey))
                    continue;
                if (Unusable(primary, key.PublicKey, now) is { } unusable)
                {
                    reason ??= unusable;
                    continue;
                }

                if (best is null || key.PublicKey.CreationTime > best.PublicKey.CreationTime)
                    best = key;
            }
        }

        why = best is null ? reason ?? "no secret key has a user id with this address" : null;
        return best;
    }

    /// <summary>
    /// The key to encrypt to <paramref name="address"/>: the newest usable encryption key of a public keyring whose user
    /// id has the address. <paramref name="why"/> says why there is none (no key, or only expired or revoked ones).
    /// </summary>
    public PgpPublicKey? EncryptionKeyFor(string address, DateTimeOffset now, out string? why)
    {
        PgpPublicKey? best = null;
        string? reason = null;
        foreach (PgpPublicKeyRing ring in PublicKeys.GetKeyRings())
        {
            var primary = ring.GetPublicKey();
            if (!HasAddress(primary, address))
                continue;
            foreach (PgpPublicKey key in ring.GetPublicKeys())
            {
                if (!CanEncrypt(primary, key))
                    continue;
                if (Unusable(primary, key, now) is { } unusable)
                {
                    reason ??= unusable;
                    continue;
                }

                if (best is null || key.CreationTime > best.CreationTime)
                    best = key;
            }
        }

        why = best is null ? reason ?? "no public key" : null;
        return best;
    }

    /// <summary>
    /// Why <paramref name="key"/> (the primary key, or a subkey of <paramref name="primary"/>) must not be used at
    /// <paramref name="now"/>: revoked, or expired; <see langword="null"/> when it may.
    /// </summary>
    public static string? Unusable(PgpPublicKey primary, PgpPublicKey key, DateTimeOffset now)
    {
        if (RevocationOf(primary) is { } primaryRevoked)
            return $"key {KeyIdText(primary.KeyId)} was revoked{primaryRevoked}";
        if (key.KeyId != primary.KeyId && RevocationOf(key) is { } subkeyRevoked)
            return $"subkey {KeyIdText(key.KeyId)} was revoked{subkeyRevoked}";
        if (ExpiryOf(primary) is { } primaryExpiry && primaryExpiry <= now)
            return $"key {KeyIdText(primary.KeyId)} expired on {primaryExpiry.ToString("u", CultureInfo.InvariantCulture)}";
        if (key.KeyId != primary.KeyId && ExpiryOf(key) is { } subkeyExpiry && subkeyExpiry <= now)
            return $"subkey {KeyIdText(key.KeyId)} expired on {subkeyExpiry.ToString("u", CultureInfo.InvariantCulture)}";
        return null;
    }

    /// <summary>When the key expires, from its self-signatures, or <see langword="null"/> when it does not.</summary>
    public static DateTimeOffset? ExpiryOf(PgpPublicKey key)
    {
        var seconds = key.GetValidSeconds();
        return seconds <= 0 ? null : new DateTimeOffset(DateTime.SpecifyKind(key.CreationTime, DateTimeKind.Utc)).AddSeconds(seconds);
    }

    /// <summary>
    /// <see langword="null"/> when the key is not revoked; otherwise the text to append to "was revoked": the reason the
    /// revocation states, if any. The revocation signature is not verified: a forged one can only make us distrust a key.
    /// </summary>
    private static string? RevocationOf(PgpPublicKey key)
    {
        if (!key.HasRevocation())
            return null;
        var type = key.IsMasterKey ? PgpSignature.KeyRevocation : PgpSignature.SubkeyRevocation;
        foreach (PgpSignature signature in key.GetSignaturesOfType(type))
        {
            if (signature.GetHashedSubPackets()?.GetSubpacket(SignatureSubpacketTag.RevocationReason) is RevocationReason reason)
            {
                var text = Printable(reason.GetRevocationDescription());
                var code = reason.GetRevocationReason() switch
                {
                    RevocationReasonTag.KeySuperseded => "superseded",
                    RevocationReasonTag.KeyCompromised => "compromised",
                    RevocationReasonTag.KeyRetired => "no longer used",
                    _ => "no reason given",
                };
                return text.Length > 0 ? $" ({code}: {text})" : $" ({code})";
            }
        }

        return string.Empty;
    }

    public static bool CanSign(PgpPublicKey primary, PgpPublicKey key) =>
        FlagsOf(primary, key) is { } flags ? (flags & KeyFlags.SignData) != 0 : SignsByAlgorithm(key.Algorithm);

    public static bool CanEncrypt(PgpPublicKey primary, PgpPublicKey key) =>
        key.IsEncryptionKey && (FlagsOf(primary, key) is not { } flags || (flags & (KeyFlags.EncryptComms | KeyFlags.EncryptStorage)) != 0);

    /// <summary>The key flags of the key's newest self-signature (subkey binding, or user id certification), when it states them.</summary>
    private static int? FlagsOf(PgpPublicKey primary, PgpPublicKey key)
    {
        PgpSignature? newest = null;
        var signatures = key.KeyId == primary.KeyId
            ? key.GetSignatures().Where(s => s.KeyId == primary.KeyId && s.SignatureType is PgpSignature.PositiveCertification or PgpSignature.CasualCertification or PgpSignature.NoCertification or PgpSignature.DefaultCertification or PgpSignature.DirectKey)
            : key.GetSignaturesOfType(PgpSignature.SubkeyBinding);
        foreach (var signature in signatures)
        {
            if (signature.GetHashedSubPackets()?.GetSubpacket(SignatureSubpacketTag.KeyFlags) is null)
                continue;
            if (newest is null || signature.CreationTime > newest.CreationTime)
                newest = signature;
        }

        return newest?.GetHashedSubPackets().GetKeyFlags();
    }

    private static bool SignsByAlgorithm(PublicKeyAlgorithmTag algorithm) => algorithm is
        PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaSign or PublicKeyAlgorithmTag.Dsa
        or PublicKeyAlgorithmTag.ECDsa or PublicKeyAlgorithmTag.EdDsa_Legacy or PublicKeyAlgorithmTag.Ed25519 or PublicKeyAlgorithmTag.Ed448;

    /// <summary>Whether one of the key's user ids carries <paramref name="address"/> (compared ignoring case).</summary>
    public static bool HasAddress(PgpPublicKey primary, string address) =>
        primary.GetUserIds().Any(u => AddressOf(u) is { } a && string.Equals(a, address, StringComparison.OrdinalIgnoreCase));

    /// <summary>The name and address of the key's primary user id (or its first one).</summary>
    public static (string? Name, string? Address) Identity(PgpPublicKey primary)
    {
        string? chosen = null;
        foreach (var userId in primary.GetUserIds())
        {
            chosen ??= userId;
            var primaryFlag = primary.GetSignaturesForId(userId)?.Any(s => s.GetHashedSubPackets()?.IsPrimaryUserId() == true) == true;
            if (primaryFlag)
            {
                chosen = userId;
                break;
            }
        }

        if (chosen is null)
            return (null, null);
        if (MailboxAddress.TryParse(chosen, out var mailbox) && mailbox.Address.Contains('@', StringComparison.Ordinal))
            return (string.IsNullOrWhiteSpace(mailbox.Name) ? null : mailbox.Name, mailbox.Address);
        return (Printable(chosen), null);
    }

    public static string? AddressOf(string userId) =>
        MailboxAddress.TryParse(userId, out var mailbox) && mailbox.Address.Contains('@', StringComparison.Ordinal) ? mailbox.Address : null;

    public static string Fingerprint(PgpPublicKey key) => Convert.ToHexString(key.GetFingerprint());

    public static string KeyIdText(long keyId) => "0x" + keyId.ToString("X16", CultureInfo.InvariantCulture);

    /// <summary>A user id or reason text as it may be shown: control characters replaced, at most 200 characters.</summary>
    public static string Printable(string? text) =>
        text is null ? string.Empty : new string(text.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
