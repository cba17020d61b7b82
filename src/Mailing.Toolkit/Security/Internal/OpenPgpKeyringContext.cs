using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// MimeKit's OpenPGP context over the in-memory <see cref="OpenPgpKeyring"/>: no GnuPG home, no key server, no files
/// written. One is made per operation; keys imported into it (MimeKit's API allows it) live only as long as it does.
/// </summary>
internal sealed class OpenPgpKeyringContext : OpenPgpContext
{
    private readonly OpenPgpKeyring keyring;
    private readonly DateTimeOffset now;
    private PgpPublicKeyRingBundle publicKeys;
    private PgpSecretKeyRingBundle secretKeys;

    public OpenPgpKeyringContext(OpenPgpKeyring keyring, DateTimeOffset now)
    {
        this.keyring = keyring;
        this.now = now;
        publicKeys = keyring.PublicKeys;
        secretKeys = keyring.SecretKeys;
        AutoKeyRetrieve = false;
    }

    /// <summary>The configured passphrase of the key; MimeKit asks for it to unlock a secret key.</summary>
    protected override string GetPasswordForKey(PgpSecretKey key) => keyring.PassphraseOf(key.KeyId);

    /// <summary>The keyring holding the key, or <see langword="null"/>: MimeKit reads that as an unknown signer.</summary>
    protected override PgpPublicKeyRing? GetPublicKeyRing(long keyId, CancellationToken cancellationToken) =>
        publicKeys.GetPublicKeyRing(keyId);

    protected override Task<PgpPublicKeyRing?> GetPublicKeyRingAsync(long keyId, CancellationToken cancellationToken) =>
        Task.FromResult(GetPublicKeyRing(keyId, cancellationToken));

    protected override PgpSecretKey GetSecretKey(long keyId, CancellationToken cancellationToken) =>
        secretKeys.GetSecretKey(keyId) ?? throw new PrivateKeyNotFoundException(keyId, "No configured secret key has this key id.");

    public override bool CanSign(MailboxAddress signer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return keyring.SigningKeyFor(signer.Address, now, out _) is not null;
    }

    public override bool CanEncrypt(MailboxAddress mailbox, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        return keyring.EncryptionKeyFor(mailbox.Address, now, out _) is not null;
    }

    public override PgpSecretKey GetSigningKey(MailboxAddress mailbox, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        return keyring.SigningKeyFor(mailbox.Address, now, out var why)
            ?? throw new PrivateKeyNotFoundException(mailbox, $"No usable signing key for {mailbox.Address}: {why}.");
    }

    public override IList<PgpPublicKey> GetPublicKeys(IEnumerable<MailboxAddress> mailboxes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailboxes);
        var keys = new List<PgpPublicKey>();
        foreach (var mailbox in mailboxes)
        {
            keys.Add(keyring.EncryptionKeyFor(mailbox.Address, now, out var why)
                ?? throw new PublicKeyNotFoundException(mailbox, $"No usable public key for {mailbox.Address}: {why}."));
        }

        return keys;
    }

    public override MimePart Export(IEnumerable<MailboxAddress> mailboxes, CancellationToken cancellationToken = default) =>
        Export(PrimaryKeysOf(mailboxes), cancellationToken);

    public override Task<MimePart> ExportAsync(IEnumerable<MailboxAddress> mailboxes, CancellationToken cancellationToken = default) =>
        Task.FromResult(Export(mailboxes, cancellationToken));

    public override void Export(IEnumerable<MailboxAddress> mailboxes, Stream stream, bool armor, CancellationToken cancellationToken = default) =>
        Export(PrimaryKeysOf(mailboxes), stream, armor, cancellationToken);

    public override Task ExportAsync(IEnumerable<MailboxAddress> mailboxes, Stream stream, bool armor, CancellationToken cancellationToken = default)
    {
        Export(mailboxes, stream, armor, cancellationToken);
        return Task.CompletedTask;
    }

    public override void Import(PgpPublicKeyRing keyring, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        if (publicKeys.GetPublicKeyRing(keyring.GetPublicKey().KeyId) is null)
            publicKeys = PgpPublicKeyRingBundle.AddPublicKeyRing(publicKeys, keyring);
    }

    public override void Import(PgpPublicKeyRingBundle bundle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        foreach (PgpPublicKeyRing ring in bundle.GetKeyRings())
            Import(ring, cancellationToken);
    }

    public override void Import(PgpSecretKeyRing keyring, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        if (secretKeys.GetSecretKeyRing(keyring.GetPublicKey().KeyId) is null)
            secretKeys = PgpSecretKeyRingBundle.AddSecretKeyRing(secretKeys, keyring);
    }

    public override void Import(PgpSecretKeyRingBundle bundle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        foreach (PgpSecretKeyRing ring in bundle.GetKeyRings())
            Import(ring, cancellationToken);
    }

    /// <summary>The primary public key of each mailbox's keyring, for export.</summary>
    private List<PgpPublicKey> PrimaryKeysOf(IEnumerable<MailboxAddress> mailboxes)
    {
        ArgumentNullException.ThrowIfNull(mailboxes);
        var keys = new List<PgpPublicKey>();
        foreach (var mailbox in mailboxes)
        {
            var ring = publicKeys.GetKeyRings().Cast<PgpPublicKeyRing>().FirstOrDefault(r => OpenPgpKeyring.HasAddress(r.GetPublicKey(), mailbox.Address))
                ?? throw new PublicKeyNotFoundException(mailbox, $"No public key for {mailbox.Address}.");
            keys.Add(ring.GetPublicKey());
        }

        return keys;
    }
}
