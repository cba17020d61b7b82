using MimeKit.Cryptography;

namespace Mailing.Toolkit.Security;

/// <summary>
/// OpenPGP (PGP/MIME, RFC 3156) for outgoing and incoming mail, bound from <c>Mailing:OpenPgp</c> by
/// <c>AddOpenPgp()</c>. Outgoing mail is signed and encrypted by a filter at
/// <see cref="OutgoingMailFilterStage.Encryption"/> according to <see cref="Sign"/> and <see cref="Encrypt"/>; incoming
/// mail parsed by <c>IMailParser</c> is verified and decrypted, with the results on <c>ParsedMail.Protection</c>.
/// The keys are read into memory from the configured files or texts when the host starts; no GnuPG home directory
/// (<c>~/.gnupg</c>) is read or written.
/// </summary>
public sealed class OpenPgpOptions
{
    /// <summary>
    /// Public keys: of correspondents (to encrypt to them and to verify their signatures) and, optionally, our own.
    /// Each entry is a file or a text holding one or more keys, ASCII-armored or binary, as
    /// <c>gpg --export --armor</c> writes them. The public halves of <see cref="SecretKeys"/> are added to these.
    /// </summary>
    public IList<OpenPgpKeySource> PublicKeys { get; } = new List<OpenPgpKeySource>();

    /// <summary>
    /// Our secret keys: to sign outgoing mail and to decrypt incoming mail. Each entry is a file or a text, as
    /// <c>gpg --export-secret-keys --armor</c> writes it, with the passphrase that unlocks it.
    /// </summary>
    public IList<OpenPgpSecretKeySource> SecretKeys { get; } = new List<OpenPgpSecretKeySource>();

    /// <summary>
    /// The signing key of a From address, by fingerprint (40 hex digits, spaces allowed): for an address with several
    /// secret keys, or a key whose user id carries another address. An address not listed is signed with the newest
    /// valid signing key among <see cref="SecretKeys"/> whose user id has that email address.
    /// </summary>
    public IDictionary<string, string> SigningKeys { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>When outgoing mail is signed; <see cref="OpenPgpSignPolicy.WhenKeyAvailable"/> by default.</summary>
    public OpenPgpSignPolicy Sign { get; set; } = OpenPgpSignPolicy.WhenKeyAvailable;

    /// <summary>When outgoing mail is encrypted; <see cref="OpenPgpEncryptPolicy.WhenAllRecipientsHaveKeys"/> by default.</summary>
    public OpenPgpEncryptPolicy Encrypt { get; set; } = OpenPgpEncryptPolicy.WhenAllRecipientsHaveKeys;

    /// <summary>
    /// Also encrypt to the sender's own key (the public key of the From address), so that the copy kept in a Sent
    /// folder stays readable; on by default. When the From address has no key, mail is encrypted to the recipients only.
    /// </summary>
    public bool EncryptToSender { get; set; } = true;

    /// <summary>The digest of signatures: <see cref="DigestAlgorithm.Sha256"/> (the default), Sha384 or Sha512.</summary>
    public DigestAlgorithm DigestAlgorithm { get; set; } = DigestAlgorithm.Sha256;

    /// <summary>The cipher of encrypted mail: <see cref="EncryptionAlgorithm.Aes256"/> (the default), Aes192 or Aes128.</summary>
    public EncryptionAlgorithm EncryptionAlgorithm { get; set; } = EncryptionAlgorithm.Aes256;

    /// <summary>
    /// <see langword="false"/> (the default): a secret key without a passphrase is refused at start, since anyone who
    /// can read the file can then sign and decrypt as its owner. <see langword="true"/> accepts such keys.
    /// </summary>
    public bool AllowUnprotectedSecretKeys { get; set; }

    /// <summary>
    /// The most bytes an incoming encrypted message may decrypt (and decompress) to; 50 MiB by default. A larger
    /// result stops the decryption with a <c>DecryptionError</c> (OpenPGP data can be compressed a thousandfold).
    /// </summary>
    public long MaxDecryptedSize { get; set; } = 50L * 1024 * 1024;
}

/// <summary>When outgoing mail is signed with OpenPGP.</summary>
public enum OpenPgpSignPolicy
{
    /// <summary>Never signed.</summary>
    Never,

    /// <summary>Signed when one of the secret keys belongs to the From address; otherwise sent unsigned.</summary>
    WhenKeyAvailable,

    /// <summary>Always signed: mail whose From address has no signing key is refused with a <see cref="MailDeliveryException"/>.</summary>
    Always,
}

/// <summary>When outgoing mail is encrypted with OpenPGP.</summary>
public enum OpenPgpEncryptPolicy
{
    /// <summary>Never encrypted.</summary>
    Never,

    /// <summary>Encrypted when every envelope recipient (Bcc included) has a usable public key; otherwise sent unencrypted.</summary>
    WhenAllRecipientsHaveKeys,

    /// <summary>
    /// Always encrypted: mail with a recipient that has no usable key (none, expired or revoked) is refused with a
    /// <see cref="MailDeliveryException"/> that names those recipients.
    /// </summary>
    Always,
}

/// <summary>One or more OpenPGP keys: from exactly one of <see cref="Path"/> or <see cref="Armored"/>.</summary>
public class OpenPgpKeySource
{
    /// <summary>A file holding the keys, ASCII-armored or binary (<c>gpg --export --armor alice@example.com &gt; alice.asc</c>).</summary>
    public string? Path { get; set; }

    /// <summary>The keys themselves, ASCII-armored (<c>-----BEGIN PGP PUBLIC KEY BLOCK-----</c>): for keys kept in configuration.</summary>
    public string? Armored { get; set; }

    /// <summary>Describes where the keys come from, without their material.</summary>
    public override string ToString() =>
        !string.IsNullOrEmpty(Path) ? $"OpenPGP keys from file {Path}" : !string.IsNullOrEmpty(Armored) ? "OpenPGP keys from text (hidden)" : "no OpenPGP keys";
}

/// <summary>
/// One or more OpenPGP secret keys with the passphrase that unlocks them. Its ToString() never shows the key
/// or the passphrase.
/// </summary>
public sealed class OpenPgpSecretKeySource : OpenPgpKeySource
{
    /// <summary>
    /// The passphrase the keys were exported with. Bind it from a secret store (user secrets, a vault, an environment
    /// variable), not from a file next to the key; it is never logged nor put into an exception.
    /// </summary>
    public string? Passphrase { get; set; }
}
