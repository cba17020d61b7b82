using System.Text;
using Mailing.Toolkit.Security;
using MailKit.Security;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>
/// S/MIME against openssl both ways: what we sign and encrypt, openssl verifies and decrypts; what openssl signs and
/// encrypts, the parser verifies and decrypts with the right result.
/// </summary>
public sealed class SMimeOracleTests
{
    private static SMimeHost Sender(SMimeTemp temp, Action<SMimeOptions>? more = null) => SMimeHost.Build(o =>
    {
        o.Identities.Add(SMimeTestData.Pem("alice"));
        o.RecipientCertificatesPath = SMimeTestData.CertificateFolder(temp, "bob", "carol");
        o.TrustAnchorsPath = SMimeTestData.File("ca.crt");
        more?.Invoke(o);
    });

    /// <summary>Bob's side: his key decrypts, the test CA is trusted.</summary>
    private static SMimeHost Receiver(Action<SMimeOptions>? more = null) => SMimeHost.Build(o =>
    {
        o.Identities.Add(SMimeTestData.Pem("bob"));
        o.TrustAnchorsPath = SMimeTestData.File("ca.crt");
        more?.Invoke(o);
    });

    [SkippableFact]
    public async Task Send_Signed_OpensslVerifiesAgainstTheTestCa()
    {
        using var temp = new SMimeTemp();
        await using var host = Sender(temp);

        var sent = await host.SendAsync(SMimeHost.Message());

        Assert.Contains("multipart/signed", Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
        var file = temp.Write("sent.eml", sent);
        var content = Encoding.UTF8.GetString(await OpenSsl.MustAsync("cms", "-verify", "-CAfile", SMimeTestData.File("ca.crt"), "-in", file));
        Assert.Contains("the invoice is attached.", content, StringComparison.Ordinal);
        var digest = Encoding.ASCII.GetString(await OpenSsl.MustAsync("cms", "-verify", "-noverify", "-in", file, "-cmsout", "-print"));
        Assert.Contains("sha256", digest, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Send_Encrypted_EveryRecipientBccAndTheSenderDecryptWithOpenssl_WithAes256()
    {
        using var temp = new SMimeTemp();
        await using var host = Sender(temp, o =>
        {
            o.Sign = SMimeSignPolicy.Never;
            o.Encrypt = SMimeEncryptPolicy.Always;
        });
        var message = SMimeHost.Message();
        message.Bcc.Add("carol@example.test");

        var sent = await host.SendAsync(message);

        var text = Encoding.ASCII.GetString(sent);
        Assert.DoesNotContain("carol", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("the invoice is attached", text, StringComparison.Ordinal);
        Assert.Contains("Subject: Invoice 42", text, StringComparison.Ordinal);
        var file = temp.Write("sent.eml", sent);
        foreach (var who in new[] { "bob", "carol", "alice" })
        {
            var plain = Encoding.UTF8.GetString(await OpenSsl.MustAsync("smime", "-decrypt", "-in", file, "-recip", SMimeTestData.File(who + ".crt"), "-inkey", SMimeTestData.File(who + ".key")));
            Assert.Contains("the invoice is attached.", plain, StringComparison.Ordinal);
        }

        var structure = Encoding.ASCII.GetString(await OpenSsl.MustAsync("cms", "-cmsout", "-print", "-in", file));
        Assert.Contains("aes-256-cbc", structure, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Send_SignedAndEncrypted_OpensslDecryptsThenVerifies()
    {
        using var temp = new SMimeTemp();
        await using var host = Sender(temp, o => o.Encrypt = SMimeEncryptPolicy.WhenAllRecipientsHaveCertificates);

        var sent = await host.SendAsync(SMimeHost.Message());

        Assert.Contains("application/pkcs7-mime", Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
        var decrypted = await OpenSsl.MustAsync("smime", "-decrypt", "-in", temp.Write("sent.eml", sent), "-recip", SMimeTestData.File("bob.crt"), "-inkey", SMimeTestData.File("bob.key"));
        Assert.Contains("multipart/signed", Encoding.ASCII.GetString(decrypted), StringComparison.Ordinal);
        var content = Encoding.UTF8.GetString(await OpenSsl.MustAsync("smime", "-verify", "-CAfile", SMimeTestData.File("ca.crt"), "-in", temp.Write("inner.eml", decrypted)));
        Assert.Contains("the invoice is attached.", content, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Parse_OpensslDetachedSignature_IsValidWithTheSignerOfTheCertificate()
    {
        using var temp = new SMimeTemp();
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-in", temp.Write("entity.txt", SMimeMessages.Entity("Signed by openssl.")),
            "-signer", SMimeTestData.File("alice.crt"), "-inkey", SMimeTestData.File("alice.key"), "-md", "sha256");
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(signed));

        Assert.Equal("Signed by openssl.", mail.TextBody?.Trim());
        Assert.Empty(mail.Attachments);
        var protection = Assert.IsType<ContentProtectionInfo>(mail.Protection);
        Assert.False(protection.IsEncrypted);
        var signature = Assert.Single(protection.Signatures);
        Assert.Equal(ContentSignatureStatus.Valid, signature.Status);
        Assert.Null(signature.Reason);
        Assert.Equal("alice@example.test", signature.SignerAddress);
        Assert.Equal("Alice Sender", signature.SignerName);
        Assert.Equal(await FingerprintAsync("alice"), signature.Fingerprint);
        Assert.NotNull(signature.SignedAt);
    }

    [SkippableFact]
    public async Task Parse_OpensslOpaqueSignature_IsValidAndTheBodyIsTheSignedContent()
    {
        using var temp = new SMimeTemp();
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-nodetach", "-in", temp.Write("entity.txt", SMimeMessages.Entity("Opaque signed text.")),
            "-signer", SMimeTestData.File("alice.crt"), "-inkey", SMimeTestData.File("alice.key"));
        Assert.Contains("application/x-pkcs7-mime", Encoding.ASCII.GetString(signed), StringComparison.OrdinalIgnoreCase);
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(signed));

        Assert.Equal("Opaque signed text.", mail.TextBody?.Trim());
        Assert.True(mail.Protection!.IsSignatureValid);
    }

    [SkippableFact]
    public async Task Parse_OpensslEnvelope_IsDecryptedWithTheConfiguredKey()
    {
        using var temp = new SMimeTemp();
        var encrypted = await OpenSsl.MustAsync("smime", "-encrypt", "-aes256", "-in", temp.Write("entity.txt", SMimeMessages.Entity("Secret for Bob.")), SMimeTestData.File("bob.crt"));
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(encrypted));

        Assert.Equal("Secret for Bob.", mail.TextBody?.Trim());
        var protection = mail.Protection!;
        Assert.Equal(ContentProtectionScheme.SMime, protection.EncryptionScheme);
        Assert.True(protection.IsDecrypted);
        Assert.Null(protection.DecryptionError);
        Assert.False(protection.IsSigned);
    }

    [SkippableFact]
    public async Task Parse_OpensslSignedThenEncrypted_DecryptsAndReportsTheInnerSignature()
    {
        using var temp = new SMimeTemp();
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-in", temp.Write("entity.txt", SMimeMessages.Entity("Signed and sealed.")),
            "-signer", SMimeTestData.File("alice.crt"), "-inkey", SMimeTestData.File("alice.key"));
        var encrypted = await OpenSsl.MustAsync("smime", "-encrypt", "-aes256", "-in", temp.Write("signed.eml", signed), SMimeTestData.File("bob.crt"));
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(encrypted));

        Assert.Equal("Signed and sealed.", mail.TextBody?.Trim());
        Assert.True(mail.Protection!.IsDecrypted);
        Assert.True(mail.Protection.IsSignatureValid);
    }

    [SkippableFact]
    public async Task Parse_TamperedSignedBody_IsInvalid()
    {
        using var temp = new SMimeTemp();
        var signed = Encoding.ASCII.GetString(await OpenSsl.MustAsync("smime", "-sign", "-in", temp.Write("entity.txt", SMimeMessages.Entity("Pay 10 EUR to Alice.")),
            "-signer", SMimeTestData.File("alice.crt"), "-inkey", SMimeTestData.File("alice.key")));
        var tampered = Encoding.ASCII.GetBytes(signed.Replace("Pay 10 EUR", "Pay 99 EUR", StringComparison.Ordinal));
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(tampered));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.Invalid, signature.Status);
        Assert.Contains("does not match", signature.Reason, StringComparison.Ordinal);
        Assert.Equal("alice@example.test", signature.SignerAddress);
        Assert.False(mail.Protection.IsSignatureValid);
    }

    [SkippableFact]
    public async Task Parse_SignerFromAnUntrustedCa_IsUntrustedSignerWithTheChainReason()
    {
        using var temp = new SMimeTemp();
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-in", temp.Write("entity.txt", SMimeMessages.Entity("From elsewhere.")),
            "-signer", SMimeTestData.File("mallory.crt"), "-inkey", SMimeTestData.File("mallory.key"));
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(signed, from: "mallory@example.test"));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.UntrustedSigner, signature.Status);
        Assert.Contains("chain does not lead to a trusted root", signature.Reason, StringComparison.Ordinal);
        Assert.Equal("mallory@example.test", signature.SignerAddress);
    }

    [SkippableFact]
    public async Task Parse_NoTrustAnchorConfigured_MatchingSignatureIsUntrustedAndSaysSo()
    {
        using var temp = new SMimeTemp();
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-in", temp.Write("entity.txt", SMimeMessages.Entity("Hi.")),
            "-signer", SMimeTestData.File("alice.crt"), "-inkey", SMimeTestData.File("alice.key"));
        await using var host = SMimeHost.Build(o => o.Identities.Add(SMimeTestData.Pem("bob")));

        var signature = Assert.Single((await host.ParseAsync(SMimeMessages.WithHeaders(signed))).Protection!.Signatures);

        Assert.Equal(ContentSignatureStatus.UntrustedSigner, signature.Status);
        Assert.Contains("no trusted root is configured", signature.Reason, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Parse_ExpiredSignerCertificate_IsUntrustedSignerSayingExpired()
    {
        using var temp = new SMimeTemp();
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-in", temp.Write("entity.txt", SMimeMessages.Entity("Old news.")),
            "-signer", SMimeTestData.File("eve.crt"), "-inkey", SMimeTestData.File("eve.key"));
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(signed, from: "eve@example.test"));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.UntrustedSigner, signature.Status);
        Assert.Equal("the signer's certificate expired on 2021-01-01", signature.Reason);
        Assert.Equal("eve@example.test", signature.SignerAddress);
    }

    [SkippableFact]
    public async Task Parse_SignatureWithoutCertificate_IsUnknownSigner()
    {
        using var temp = new SMimeTemp();
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-nocerts", "-in", temp.Write("entity.txt", SMimeMessages.Entity("Who am I?")),
            "-signer", SMimeTestData.File("mallory.crt"), "-inkey", SMimeTestData.File("mallory.key"));
        await using var host = Receiver();

        var signature = Assert.Single((await host.ParseAsync(SMimeMessages.WithHeaders(signed))).Protection!.Signatures);

        Assert.Equal(ContentSignatureStatus.UnknownSigner, signature.Status);
        Assert.Null(signature.SignerAddress);
        Assert.NotNull(signature.Reason);
    }

    [SkippableFact]
    public async Task Parse_SignatureWithoutCertificateOfAKnownSigner_FindsTheConfiguredCertificate()
    {
        using var temp = new SMimeTemp();
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-nocerts", "-in", temp.Write("entity.txt", SMimeMessages.Entity("You know me.")),
            "-signer", SMimeTestData.File("alice.crt"), "-inkey", SMimeTestData.File("alice.key"));
        await using var host = Receiver(o => o.RecipientCertificatesPath = SMimeTestData.CertificateFolder(temp, "alice"));

        var signature = Assert.Single((await host.ParseAsync(SMimeMessages.WithHeaders(signed))).Protection!.Signatures);

        Assert.Equal(ContentSignatureStatus.Valid, signature.Status);
        Assert.Equal("alice@example.test", signature.SignerAddress);
    }

    [SkippableFact]
    public async Task Parse_EnvelopeForSomeoneElse_SaysNoPrivateKeyAndKeepsTheEnvelope()
    {
        using var temp = new SMimeTemp();
        var encrypted = await OpenSsl.MustAsync("smime", "-encrypt", "-aes256", "-in", temp.Write("entity.txt", SMimeMessages.Entity("For Carol only.")), SMimeTestData.File("carol.crt"));
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(encrypted, to: "carol@example.test"));

        var protection = mail.Protection!;
        Assert.True(protection.IsEncrypted);
        Assert.False(protection.IsDecrypted);
        Assert.True(protection.DecryptionError?.StartsWith("no private key for any recipient of the message", StringComparison.Ordinal), protection.DecryptionError);
        Assert.Null(mail.TextBody);
        Assert.Single(mail.Attachments);
    }

    [SkippableFact]
    public async Task Parse_AuthEnvelopedData_SaysItIsNotDecryptedWithoutThrowing()
    {
        using var temp = new SMimeTemp();
        var encrypted = await OpenSsl.MustAsync("cms", "-encrypt", "-aes-256-gcm", "-in", temp.Write("entity.txt", SMimeMessages.Entity("GCM.")), SMimeTestData.File("bob.crt"));
        await using var host = Receiver();

        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(encrypted));

        Assert.True(mail.Protection!.IsEncrypted);
        Assert.False(mail.Protection.IsDecrypted);
        Assert.Contains("authenticated enveloped-data", mail.Protection.DecryptionError, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SendThroughSmtp_CapturedBytesParsedFromDi_ShowSignedAndEncryptedProtection()
    {
        await using var server = InProcessSmtpServer.Start();
        using var temp = new SMimeTemp();
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "alice@example.test")
            .AddSMime(o =>
            {
                o.Identities.Add(new SMimeIdentity { PfxPath = SMimeTestData.File("alice.pfx"), PfxPassword = "alice-pfx-secret" });
                o.Identities.Add(SMimeTestData.Pem("bob"));
                o.RecipientCertificatesPath = SMimeTestData.CertificateFolder(temp, "bob");
                o.TrustAnchorsPath = SMimeTestData.File("ca.crt");
                o.Encrypt = SMimeEncryptPolicy.Always;
            })
            .AddSmtpSender(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = server.Port;
                o.Security = SecureSocketOptions.None;
            });
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IMailSender>().SendAsync(SMimeHost.Message());

        var received = Assert.Single(server.Messages);
        var mail = await provider.GetRequiredService<Mailing.Toolkit.Parsing.IMailParser>().ParseAsync(new MemoryStream(received.Data));
        Assert.Equal("Invoice 42", mail.Subject);
        Assert.Contains("the invoice is attached.", mail.TextBody, StringComparison.Ordinal);
        var protection = mail.Protection!;
        Assert.Equal(ContentProtectionScheme.SMime, protection.EncryptionScheme);
        Assert.True(protection.IsDecrypted);
        var signature = Assert.Single(protection.Signatures);
        Assert.Equal(ContentSignatureStatus.Valid, signature.Status);
        Assert.Equal("alice@example.test", signature.SignerAddress);
        // And openssl agrees on the bytes that crossed the wire.
        var plain = await OpenSsl.MustAsync("smime", "-decrypt", "-in", temp.Write("wire.eml", received.Data), "-recip", SMimeTestData.File("bob.crt"), "-inkey", SMimeTestData.File("bob.key"));
        await OpenSsl.MustAsync("smime", "-verify", "-CAfile", SMimeTestData.File("ca.crt"), "-in", temp.Write("inner.eml", plain));
    }

    [SkippableFact]
    public async Task Send_WithDkimToo_DkimSignsTheSMimeMessageAndBothVerify()
    {
        using var temp = new SMimeTemp();
        var services = new ServiceCollection();
        services.AddLogging();
        var transport = new CapturingTransport();
        services.AddSingleton(transport);
        services.AddMailing(o => o.DefaultFrom = "alice@example.test")
            .AddDkimSigning(o => o.Keys.Add(DkimSigningTests.Key("example.test", "rsa2026", DkimSigningTests.Rsa)))
            .AddSMime(o =>
            {
                o.Identities.Add(SMimeTestData.Pem("alice"));
                o.RecipientCertificatesPath = SMimeTestData.CertificateFolder(temp, "bob");
                o.Encrypt = SMimeEncryptPolicy.Always;
            })
            .AddTransport<CapturingTransport>();
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IMailSender>().SendAsync(SMimeHost.Message());

        var sent = transport.Sent[^1];
        var dkim = await DkimOracles.PythonAsync(sent, new Dictionary<string, string> { ["rsa2026._domainkey.example.test"] = DkimSigningTests.Rsa.DnsRecord });
        Assert.True(dkim.ExitCode == 0, dkim.Output);
        var plain = await OpenSsl.MustAsync("smime", "-decrypt", "-in", temp.Write("sent.eml", sent), "-recip", SMimeTestData.File("bob.crt"), "-inkey", SMimeTestData.File("bob.key"));
        await OpenSsl.MustAsync("smime", "-verify", "-CAfile", SMimeTestData.File("ca.crt"), "-in", temp.Write("inner.eml", plain));
    }

    private static async Task<string> FingerprintAsync(string name)
    {
        var line = Encoding.ASCII.GetString(await OpenSsl.MustAsync("x509", "-in", SMimeTestData.File(name + ".crt"), "-noout", "-fingerprint", "-sha1"));
        return line.Split('=', 2)[1].Trim().Replace(":", string.Empty, StringComparison.Ordinal);
    }
}
