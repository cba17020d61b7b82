using System.Text;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Parsing.Internal;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>
/// PGP/MIME made by gpg (detached signatures and encrypted payloads, with the MIME built around gpg's output by the
/// test, not by MimeKit), read by the parser with the OpenPGP unprotector: the results on ParsedMail.Protection.
/// </summary>
[Collection(GpgTests.Name)]
public sealed class OpenPgpIncomingTests(GpgFixture gpg)
{
    private const string Signed = "multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"";
    private const string Encrypted = "multipart/encrypted; protocol=\"application/pgp-encrypted\"";

    [SkippableFact]
    public async Task GpgDetachedSignature_KnownKey_IsValidWithSignerFingerprintAndTime()
    {
        gpg.Require();
        var content = PgpMimeWire.Entity("Hello from Bob, signed by gpg.\n");
        var raw = await SignedByAsync(gpg.Bob, content);

        var mail = await ParseAsync(raw, o => o.PublicKeys.Add(gpg.Bob.Public));

        var protection = Assert.IsType<ContentProtectionInfo>(mail.Protection);
        Assert.False(protection.IsEncrypted);
        var signature = Assert.Single(protection.Signatures);
        Assert.True(signature.IsValid, signature.Reason);
        Assert.Equal(ContentProtectionScheme.OpenPgp, signature.Scheme);
        Assert.Equal("bob@example.com", signature.SignerAddress);
        Assert.Equal("Bob", signature.SignerName);
        Assert.Equal(gpg.Bob.Fingerprint, signature.Fingerprint);
        Assert.NotNull(signature.SignedAt);
        Assert.Null(signature.Reason);
        Assert.Equal("Hello from Bob, signed by gpg.", mail.TextBody?.Trim());
        Assert.Empty(mail.Attachments);
    }

    [SkippableFact]
    public async Task GpgDetachedSignature_ContentChanged_IsInvalid()
    {
        gpg.Require();
        var raw = await SignedByAsync(gpg.Bob, PgpMimeWire.Entity("Pay 10 EUR to Bob.\n"));
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(raw).Replace("Pay 10 EUR", "Pay 99 EUR", StringComparison.Ordinal));

        var mail = await ParseAsync(tampered, o => o.PublicKeys.Add(gpg.Bob.Public));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.Invalid, signature.Status);
        Assert.Contains("changed after it was signed", signature.Reason, StringComparison.Ordinal);
        Assert.Equal("bob@example.com", signature.SignerAddress);
        Assert.Equal("Pay 99 EUR to Bob.", mail.TextBody?.Trim());
    }

    [SkippableFact]
    public async Task GpgDetachedSignature_KeyNotInKeyring_IsUnknownSignerWithKeyId()
    {
        gpg.Require();
        var raw = await SignedByAsync(gpg.Carol, PgpMimeWire.Entity("Carol here.\n"));

        var mail = await ParseAsync(raw, o => o.PublicKeys.Add(gpg.Bob.Public));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.UnknownSigner, signature.Status);
        Assert.Contains("0x" + gpg.Carol.KeyIds[0], signature.Reason, StringComparison.Ordinal);
        Assert.Null(signature.Fingerprint);
        Assert.NotNull(signature.SignedAt);
    }

    [SkippableFact]
    public async Task GpgDetachedSignature_ExpiredKey_IsUntrustedSignerSayingExpired()
    {
        gpg.Require();
        // Dave's key was valid for one day from 2020-01-01; gpg signs as if it were then.
        var raw = await SignedByAsync(gpg.Dave, PgpMimeWire.Entity("Signed in 2020.\n"), fakedTime: "20200101T120000");

        var mail = await ParseAsync(raw, o => o.PublicKeys.Add(gpg.Dave.Public));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.UntrustedSigner, signature.Status);
        Assert.Contains("expired on 2020-01-02", signature.Reason, StringComparison.Ordinal);
        Assert.Equal("dave@example.com", signature.SignerAddress);
        Assert.Equal(new DateTimeOffset(2020, 1, 1, 12, 0, 0, TimeSpan.Zero), signature.SignedAt!.Value, TimeSpan.FromMinutes(5));
    }

    [SkippableFact]
    public async Task GpgDetachedSignature_ExpiredKey_ValidWhileTheClockIsBeforeTheExpiry()
    {
        gpg.Require();
        var raw = await SignedByAsync(gpg.Dave, PgpMimeWire.Entity("Signed in 2020.\n"), fakedTime: "20200101T120000");

        var mail = await ParseAsync(raw, o => o.PublicKeys.Add(gpg.Dave.Public), now: new DateTimeOffset(2020, 1, 1, 18, 0, 0, TimeSpan.Zero));

        Assert.True(Assert.Single(mail.Protection!.Signatures).IsValid);
    }

    [SkippableFact]
    public async Task GpgDetachedSignature_RevokedKey_IsUntrustedSignerSayingRevoked()
    {
        gpg.Require();
        var raw = SignedMessage(gpg.Eve, GpgFixture.EveSignedContent, gpg.EveSignature);

        var mail = await ParseAsync(raw, o => o.PublicKeys.Add(gpg.Eve.Public));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.UntrustedSigner, signature.Status);
        Assert.Contains("revoked", signature.Reason, StringComparison.Ordinal);
        Assert.Equal("eve@example.com", signature.SignerAddress);
    }

    [SkippableFact]
    public async Task MalformedArmorInTheSignaturePart_IsErrorAndNothingThrows()
    {
        gpg.Require();
        var signaturePart = Encoding.ASCII.GetBytes("Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\nnot!base64@@@\r\n=AAAA\r\n-----END PGP SIGNATURE-----\r\n");
        var raw = PgpMimeWire.Build("bob@example.com", "alice@example.com", Signed, PgpMimeWire.Entity("text\n"), signaturePart);

        var mail = await ParseAsync(raw, o => o.PublicKeys.Add(gpg.Bob.Public));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.Error, signature.Status);
        Assert.False(string.IsNullOrEmpty(signature.Reason));
        Assert.Equal("text", mail.TextBody?.Trim());
    }

    [SkippableFact]
    public async Task SignedWithoutSignaturePart_IsErrorAndNothingThrows()
    {
        gpg.Require();
        var raw = PgpMimeWire.Build("bob@example.com", "alice@example.com", Signed, PgpMimeWire.Entity("only the text\n"));

        var mail = await ParseAsync(raw, o => o.PublicKeys.Add(gpg.Bob.Public));

        Assert.Equal(ContentSignatureStatus.Error, Assert.Single(mail.Protection!.Signatures).Status);
    }

    [SkippableFact]
    public async Task GpgEncrypted_ToOurKey_IsDecrypted()
    {
        gpg.Require();
        var entity = PgpMimeWire.Entity("For Alice's eyes only. Ünïcödé.\n");
        var raw = await EncryptedAsync(entity, ["--recipient", gpg.Alice.Address, "--recipient", gpg.Bob.Address]);

        var mail = await ParseAsync(raw, o => o.SecretKeys.Add(gpg.Alice.Secret));

        var protection = Assert.IsType<ContentProtectionInfo>(mail.Protection);
        Assert.Equal(ContentProtectionScheme.OpenPgp, protection.EncryptionScheme);
        Assert.True(protection.IsDecrypted, protection.DecryptionError);
        Assert.Null(protection.DecryptionError);
        Assert.False(protection.IsSigned);
        Assert.Equal("For Alice's eyes only. Ünïcödé.", mail.TextBody?.Trim());
        Assert.Empty(mail.Attachments);
    }

    [SkippableFact]
    public async Task GpgSignedAndEncrypted_IsDecryptedAndTheInnerSignatureReported()
    {
        gpg.Require();
        var entity = PgpMimeWire.Entity("Signed by Bob, sealed for Alice.\n");
        var raw = await EncryptedAsync(entity, ["--sign", "--local-user", gpg.Bob.Fingerprint, "--recipient", gpg.Alice.Address], gpg.Bob.Passphrase);

        var mail = await ParseAsync(raw, o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.PublicKeys.Add(gpg.Bob.Public);
        });

        var protection = mail.Protection!;
        Assert.True(protection.IsDecrypted, protection.DecryptionError);
        var signature = Assert.Single(protection.Signatures);
        Assert.True(signature.IsValid, signature.Reason);
        Assert.Equal("bob@example.com", signature.SignerAddress);
        Assert.Equal(gpg.Bob.Fingerprint, signature.Fingerprint);
        Assert.True(protection.IsSignatureValid);
        Assert.Equal("Signed by Bob, sealed for Alice.", mail.TextBody?.Trim());
    }

    [SkippableFact]
    public async Task GpgEncryptedThenSignedMultipart_BothLayersReported()
    {
        gpg.Require();
        // RFC 3156 6.1: a multipart/signed (made by gpg) inside a multipart/encrypted.
        var inner = PgpMimeWire.Entity("Two layers.\n");
        var signed = await SignedByAsync(gpg.Bob, inner);
        var signedEntity = signed[(Encoding.ASCII.GetString(signed).IndexOf("Content-Type:", StringComparison.Ordinal))..];
        var raw = await EncryptedAsync(signedEntity, ["--recipient", gpg.Alice.Address]);

        var mail = await ParseAsync(raw, o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.PublicKeys.Add(gpg.Bob.Public);
        });

        Assert.True(mail.Protection!.IsDecrypted, mail.Protection.DecryptionError);
        Assert.True(Assert.Single(mail.Protection.Signatures).IsValid);
        Assert.Equal("Two layers.", mail.TextBody?.Trim());
    }

    [SkippableFact]
    public async Task GpgEncrypted_ToSomebodyElse_DecryptionErrorNamesTheKeyIds()
    {
        gpg.Require();
        var raw = await EncryptedAsync(PgpMimeWire.Entity("For Carol.\n"), ["--recipient", gpg.Carol.Address]);

        var mail = await ParseAsync(raw, o => o.SecretKeys.Add(gpg.Alice.Secret));

        var protection = mail.Protection!;
        Assert.True(protection.IsEncrypted);
        Assert.False(protection.IsDecrypted);
        Assert.Contains("no configured secret key", protection.DecryptionError, StringComparison.Ordinal);
        Assert.Contains("0x" + gpg.Carol.KeyIds[1], protection.DecryptionError, StringComparison.Ordinal);
        Assert.Null(mail.TextBody);
    }

    [SkippableFact]
    public async Task GpgEncrypted_WrongPassphrase_ClearDecryptionError()
    {
        gpg.Require();
        var raw = await EncryptedAsync(PgpMimeWire.Entity("For Alice.\n"), ["--recipient", gpg.Alice.Address]);
        var (loaded, errors) = OpenPgpKeyLoader.Load(Options(o => o.SecretKeys.Add(gpg.Alice.Secret)), "Mailing:OpenPgp");
        Assert.Empty(errors);
        // The passphrase changed after start (the validator checks it at start): the keyring holds a wrong one.
        var wrong = loaded!.SecretKeys.GetKeyRings().SelectMany(r => r.GetSecretKeys()).ToDictionary(k => k.KeyId, _ => "not-the-passphrase");
        var keyring = new OpenPgpKeyring(loaded.PublicKeys, loaded.SecretKeys, wrong, new Dictionary<string, Org.BouncyCastle.Bcpg.OpenPgp.PgpSecretKey>());
        var parser = Parser(keyring, TimeProvider.System);

        var mail = await parser.ParseAsync(new MemoryStream(raw));

        Assert.False(mail.Protection!.IsDecrypted);
        Assert.Contains("passphrase does not unlock secret key 0x" + gpg.Alice.KeyIds[1], mail.Protection.DecryptionError, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-passphrase", mail.Protection.DecryptionError, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task EncryptedPartNotOpenPgp_DecryptionErrorAndNothingThrows()
    {
        gpg.Require();
        var version = Encoding.ASCII.GetBytes("Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n");
        var payload = Encoding.ASCII.GetBytes("Content-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA%%%garbage\r\n-----END PGP MESSAGE-----\r\n");
        var raw = PgpMimeWire.Build("bob@example.com", "alice@example.com", Encrypted, version, payload);

        var mail = await ParseAsync(raw, o => o.SecretKeys.Add(gpg.Alice.Secret));

        Assert.True(mail.Protection!.IsEncrypted);
        Assert.False(mail.Protection.IsDecrypted);
        Assert.False(string.IsNullOrEmpty(mail.Protection.DecryptionError));
    }

    [SkippableFact]
    public async Task GpgEncrypted_DecompressesPastTheLimit_DecryptionErrorNamesTheLimit()
    {
        gpg.Require();
        // 4 MB of one repeated line compresses to a few KB: the limit, not the message size, must stop it.
        var entity = PgpMimeWire.Entity(string.Concat(Enumerable.Repeat("all work and no play makes a big message\n", 100_000)));
        var raw = await EncryptedAsync(entity, ["--recipient", gpg.Alice.Address, "--compress-algo", "zlib", "--compress-level", "9"]);
        Assert.True(raw.Length < 200_000, $"the encrypted message is {raw.Length} bytes");

        var mail = await ParseAsync(raw, o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.MaxDecryptedSize = 1024 * 1024;
        });

        Assert.False(mail.Protection!.IsDecrypted);
        Assert.Contains("MaxDecryptedSize (1048576 bytes)", mail.Protection.DecryptionError, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Handles_SMimeLayers_AreLeftToTheSMimeUnprotector()
    {
        gpg.Require();
        var (keyring, _) = OpenPgpKeyLoader.Load(Options(o => o.PublicKeys.Add(gpg.Bob.Public)), "Mailing:OpenPgp");
        var unprotector = new OpenPgpUnprotector(keyring!, 1024, TimeProvider.System, NullLogger.Instance);
        var smime = new MimeKit.Cryptography.MultipartSigned();
        smime.ContentType.Parameters["protocol"] = "application/pkcs7-signature";
        var pgp = new MimeKit.Cryptography.MultipartSigned();
        pgp.ContentType.Parameters["protocol"] = "application/pgp-signature";

        Assert.False(unprotector.Handles(smime));
        Assert.True(unprotector.Handles(pgp));
        Assert.False(unprotector.Handles(new MimeKit.TextPart("plain")));
    }

    private async Task<byte[]> SignedByAsync(GpgIdentity signer, byte[] content, string? fakedTime = null)
    {
        var signature = await gpg.GpgAsync(["--detach-sign", "--armor", "--digest-algo", "SHA256", "--local-user", signer.Fingerprint], content, signer.Passphrase, fakedTime);
        Assert.True(signature.ExitCode == 0, signature.Stderr);
        return SignedMessage(signer, content, signature.Stdout);
    }

    private static byte[] SignedMessage(GpgIdentity signer, byte[] content, byte[] signature)
    {
        var signaturePart = Encoding.ASCII.GetBytes("Content-Type: application/pgp-signature; name=\"signature.asc\"\r\nContent-Description: OpenPGP digital signature\r\n\r\n")
            .Concat(signature).ToArray();
        return PgpMimeWire.Build($"{signer.Name} <{signer.Address}>", "Alice <alice@example.com>", Signed, content, signaturePart);
    }

    private async Task<byte[]> EncryptedAsync(byte[] entity, string[] arguments, string? passphrase = null)
    {
        var encrypted = await gpg.GpgAsync(["--encrypt", "--armor", .. arguments], entity, passphrase);
        Assert.True(encrypted.ExitCode == 0, encrypted.Stderr);
        var version = Encoding.ASCII.GetBytes("Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n");
        var payload = Encoding.ASCII.GetBytes("Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\nContent-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n")
            .Concat(encrypted.Stdout).ToArray();
        return PgpMimeWire.Build("Bob <bob@example.com>", "Alice <alice@example.com>", Encrypted, version, payload);
    }

    private static async Task<ParsedMail> ParseAsync(byte[] raw, Action<OpenPgpOptions> configure, DateTimeOffset? now = null)
    {
        var (keyring, errors) = OpenPgpKeyLoader.Load(Options(configure), "Mailing:OpenPgp");
        Assert.True(keyring is not null, string.Join("\n", errors));
        var options = Options(configure);
        TimeProvider time = now is { } at ? new FakeTimeProvider(at) : TimeProvider.System;
        return await Parser(keyring, time, options.MaxDecryptedSize).ParseAsync(new MemoryStream(raw));
    }

    private static MailParser Parser(OpenPgpKeyring keyring, TimeProvider time, long maxDecryptedSize = 50L * 1024 * 1024) =>
        new(new MailParserOptions(), NullLogger<MailParser>.Instance, null, [new OpenPgpUnprotector(keyring, maxDecryptedSize, time, NullLogger.Instance)]);

    private static OpenPgpOptions Options(Action<OpenPgpOptions> configure)
    {
        var options = new OpenPgpOptions();
        configure(options);
        return options;
    }
}
