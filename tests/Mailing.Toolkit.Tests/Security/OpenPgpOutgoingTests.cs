using System.Text;
using Mailing.Toolkit.Security;
using MimeKit;
using MimeKit.Cryptography;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>
/// What the outgoing filter makes, checked by gpg: our signatures verify with <c>gpg --verify</c> over the signed part
/// exactly as it is on the wire, and our encrypted mail decrypts with <c>gpg --decrypt</c>.
/// </summary>
[Collection(GpgTests.Name)]
public sealed class OpenPgpOutgoingTests(GpgFixture gpg)
{
    [SkippableFact]
    public async Task Sign_SignedPartAsOnTheWire_VerifiesWithGpg()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.Encrypt = OpenPgpEncryptPolicy.Never;
        });

        var sent = await host.SendAsync(Message("Grüße aus Köln.\nFrom the start of a line, and trailing spaces   \n"));

        var headers = Encoding.ASCII.GetString(sent[..Encoding.ASCII.GetString(sent).IndexOf("\r\n\r\n", StringComparison.Ordinal)]);
        Assert.Contains("multipart/signed", headers, StringComparison.Ordinal);
        Assert.Contains("protocol=\"application/pgp-signature\"", headers, StringComparison.Ordinal);
        Assert.Contains("micalg=pgp-sha256", headers, StringComparison.Ordinal);
        var parts = PgpMimeWire.Parts(sent);
        Assert.Equal(2, parts.Count);
        var content = gpg.WriteFile("content", parts[0]);
        var signature = gpg.WriteFile("signature.asc", PgpMimeWire.Body(parts[1]));

        var verified = await gpg.GpgAsync(["--verify", signature, content]);

        Assert.True(verified.ExitCode == 0, verified.Stderr);
        Assert.Contains("Good signature from \"Alice <alice@example.com>\"", verified.Stderr, StringComparison.Ordinal);
        Assert.Contains(gpg.Alice.Fingerprint[^16..], verified.Stderr.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

        // Negative control: gpg must reject the same signature over a changed part.
        var changed = (byte[])parts[0].Clone();
        changed[^3] ^= 0x01;
        var tampered = await gpg.GpgAsync(["--verify", signature, gpg.WriteFile("changed", changed)]);
        Assert.NotEqual(0, tampered.ExitCode);
        Assert.Contains("BAD signature", tampered.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Sign_DigestIsSha256ByDefault_AndSha512WhenConfigured()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.Encrypt = OpenPgpEncryptPolicy.Never;
            o.DigestAlgorithm = DigestAlgorithm.Sha512;
        });

        var sent = await host.SendAsync(Message("hello"));

        var packets = await gpg.GpgAsync(["--list-packets"], PgpMimeWire.Body(PgpMimeWire.Parts(sent)[1]));
        Assert.Contains("digest algo 10", packets.Text, StringComparison.Ordinal); // SHA-512
        Assert.Contains("micalg=pgp-sha512", Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Encrypt_ToRecipientsBccAndSender_DecryptsWithGpg_Aes256_AndBccIsNotInTheHeaders()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.PublicKeys.Add(gpg.Bob.Public);
            o.PublicKeys.Add(gpg.Carol.Public);
            o.Sign = OpenPgpSignPolicy.Never;
        });
        var message = Message("the secret plan");
        message.Bcc.Add(MailboxAddress.Parse("carol@example.com"));

        var sent = await host.SendAsync(message);

        var text = Encoding.ASCII.GetString(sent);
        Assert.DoesNotContain("carol@example.com", text, StringComparison.Ordinal);
        Assert.DoesNotContain("the secret plan", text, StringComparison.Ordinal);
        Assert.Contains("multipart/encrypted", text, StringComparison.Ordinal);
        Assert.Contains("protocol=\"application/pgp-encrypted\"", text, StringComparison.Ordinal);
        var parts = PgpMimeWire.Parts(sent);
        Assert.Equal(2, parts.Count);
        Assert.Contains("Version: 1", Encoding.ASCII.GetString(parts[0]), StringComparison.Ordinal);
        var payload = PgpMimeWire.Body(parts[1]);

        var decrypted = await gpg.GpgAsync(["--verbose", "--decrypt"], payload, passphrase: gpg.Bob.Passphrase);
        Assert.True(decrypted.ExitCode == 0, decrypted.Stderr);
        Assert.Contains("the secret plan", decrypted.Text, StringComparison.Ordinal);
        Assert.Contains("AES256", decrypted.Stderr, StringComparison.Ordinal);

        // The session key is encrypted to the encryption subkeys of Bob (To), Carol (Bcc) and Alice (the sender, so the
        // Sent copy stays readable), and to nobody else.
        var listed = await gpg.GpgAsync(["--list-packets", "--list-only"], payload);
        var keyIds = System.Text.RegularExpressions.Regex.Matches(listed.Text + listed.Stderr, @"pubkey enc packet: version 3, algo \d+, keyid ([0-9A-F]{16})")
            .Select(m => m.Groups[1].Value).Order().ToArray();
        Assert.Equal(new[] { gpg.Bob.KeyIds[1], gpg.Carol.KeyIds[1], gpg.Alice.KeyIds[1] }.Order(), keyIds);
    }

    [SkippableFact]
    public async Task SignAndEncrypt_GpgDecryptsAndReportsAGoodSignature()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.PublicKeys.Add(gpg.Bob.Public);
        });

        var sent = await host.SendAsync(Message("signed and sealed"));

        var payload = PgpMimeWire.Body(PgpMimeWire.Parts(sent)[1]);
        var decrypted = await gpg.GpgAsync(["--decrypt", "--try-secret-key", gpg.Bob.Fingerprint], payload, passphrase: gpg.Bob.Passphrase);
        Assert.True(decrypted.ExitCode == 0, decrypted.Stderr);
        Assert.Contains("signed and sealed", decrypted.Text, StringComparison.Ordinal);
        Assert.Contains("Good signature from \"Alice <alice@example.com>\"", decrypted.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task EncryptAlways_RecipientWithoutKey_RefusedNamingThem()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.PublicKeys.Add(gpg.Bob.Public);
            o.PublicKeys.Add(gpg.Dave.Public);
            o.PublicKeys.Add(gpg.Eve.Public);
            o.Encrypt = OpenPgpEncryptPolicy.Always;
        });
        var message = Message("nobody without a key may get this");
        message.Cc.Add(MailboxAddress.Parse("nokey@example.net"));
        message.Cc.Add(MailboxAddress.Parse("dave@example.com"));
        message.Bcc.Add(MailboxAddress.Parse("eve@example.com"));

        var error = await Assert.ThrowsAsync<MailDeliveryException>(() => host.SendAsync(message));

        Assert.False(error.IsTransient);
        Assert.Equal("openpgp_no_recipient_key", error.ErrorType);
        Assert.Contains("nokey@example.net (no public key)", error.Message, StringComparison.Ordinal);
        Assert.Contains("dave@example.com", error.Message, StringComparison.Ordinal);
        Assert.Contains("expired", error.Message, StringComparison.Ordinal);
        Assert.Contains("eve@example.com", error.Message, StringComparison.Ordinal);
        Assert.Contains("revoked", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bob@example.com", error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Transport.Sent);
    }

    [SkippableFact]
    public async Task EncryptWhenAllHaveKeys_OneRecipientExpired_SentSignedButNotEncrypted()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.PublicKeys.Add(gpg.Bob.Public);
            o.PublicKeys.Add(gpg.Dave.Public);
        });
        var message = Message("plain but signed");
        message.Cc.Add(MailboxAddress.Parse("dave@example.com"));

        var sent = await host.SendAsync(message);

        var text = Encoding.ASCII.GetString(sent);
        Assert.Contains("multipart/signed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("multipart/encrypted", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SignAlways_FromWithoutSecretKey_Refused()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.Sign = OpenPgpSignPolicy.Always;
            o.Encrypt = OpenPgpEncryptPolicy.Never;
        });
        var message = Message("from someone else");
        message.From.Clear();
        message.From.Add(MailboxAddress.Parse("other@example.com"));

        var error = await Assert.ThrowsAsync<MailDeliveryException>(() => host.SendAsync(message));

        Assert.Equal("openpgp_no_signing_key", error.ErrorType);
        Assert.Contains("other@example.com", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [SkippableFact]
    public async Task SigningKeyByFingerprint_SignsForAnAddressNotInTheUserId()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.SigningKeys["noreply@example.com"] = gpg.Alice.Fingerprint;
            o.Sign = OpenPgpSignPolicy.Always;
            o.Encrypt = OpenPgpEncryptPolicy.Never;
        });
        var message = Message("from the robot");
        message.From.Clear();
        message.From.Add(MailboxAddress.Parse("noreply@example.com"));

        var sent = await host.SendAsync(message);

        var parts = PgpMimeWire.Parts(sent);
        var verified = await gpg.GpgAsync(["--verify", gpg.WriteFile("s.asc", PgpMimeWire.Body(parts[1])), gpg.WriteFile("c", parts[0])]);
        Assert.True(verified.ExitCode == 0, verified.Stderr);
        Assert.Contains("Alice <alice@example.com>", verified.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task NoPolicyApplies_MessageLeftAsItIs_AndNothingSecretIsLogged()
    {
        gpg.Require();
        await using var host = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.PublicKeys.Add(gpg.Bob.Public);
        });
        var message = Message("to a stranger");
        message.From.Clear();
        message.From.Add(MailboxAddress.Parse("other@example.com"));
        message.To.Clear();
        message.To.Add(MailboxAddress.Parse("stranger@example.net"));

        var sent = await host.SendAsync(message);

        var text = Encoding.ASCII.GetString(sent);
        Assert.DoesNotContain("multipart/", text, StringComparison.Ordinal);
        Assert.Contains("to a stranger", text, StringComparison.Ordinal);
        Assert.DoesNotContain(gpg.Alice.Passphrase, host.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", host.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 8452);
    }

    [SkippableFact]
    public async Task EncryptedThenDkimSigned_DkimVerifiesAndGpgDecrypts()
    {
        gpg.Require();
        await using var host = DkimHost.Build(
            o => o.Keys.Add(DkimSigningTests.Key("example.com", "sel1", DkimSigningTests.Rsa)),
            time: TimeProvider.System,
            mailing: b => b.AddOpenPgp(o =>
            {
                o.SecretKeys.Add(gpg.Alice.Secret);
                o.PublicKeys.Add(gpg.Bob.Public);
            }));

        await host.SendAsync(Message("sealed, then DKIM-signed"));

        var sent = host.Transport.Sent.Single();
        var python = await DkimOracles.PythonAsync(sent, new Dictionary<string, string> { ["sel1._domainkey.example.com"] = DkimSigningTests.Rsa.DnsRecord });
        Assert.True(python.ExitCode == 0, python.Output);
        var decrypted = await gpg.GpgAsync(["--decrypt"], PgpMimeWire.Body(PgpMimeWire.Parts(sent)[1]), passphrase: gpg.Bob.Passphrase);
        Assert.True(decrypted.ExitCode == 0, decrypted.Stderr);
        Assert.Contains("sealed, then DKIM-signed", decrypted.Text, StringComparison.Ordinal);
    }

    internal static MimeMessage Message(string text)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice", "alice@example.com"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.com"));
        message.Subject = "OpenPGP test";
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.com");
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }
}
