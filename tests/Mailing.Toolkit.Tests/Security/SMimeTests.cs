using System.Text;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>Policies, configuration errors and malformed input of S/MIME; the cryptography itself is checked against openssl in <see cref="SMimeOracleTests"/>.</summary>
public sealed class SMimeTests
{
    [Fact]
    public async Task Send_EncryptAlwaysWithoutACertificate_IsRefusedNamingTheRecipients()
    {
        using var temp = new SMimeTemp();
        await using var host = SMimeHost.Build(o =>
        {
            o.Identities.Add(SMimeTestData.Pem("alice"));
            o.RecipientCertificatesPath = SMimeTestData.CertificateFolder(temp, "bob");
            o.Encrypt = SMimeEncryptPolicy.Always;
        });
        var message = SMimeHost.Message();
        message.Cc.Add("dave@example.test");
        message.Bcc.Add("erin@example.test");

        var error = await Assert.ThrowsAsync<MailDeliveryException>(() => host.SendAsync(message));

        Assert.False(error.IsTransient);
        Assert.Equal("smime_no_recipient_certificate", error.ErrorType);
        Assert.Contains("dave@example.test, erin@example.test", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bob@", error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Transport.Sent);
    }

    [Fact]
    public async Task Send_EncryptWhenAllHaveCertificates_OneMissing_SendsSignedButNotEncrypted()
    {
        using var temp = new SMimeTemp();
        await using var host = SMimeHost.Build(o =>
        {
            o.Identities.Add(SMimeTestData.Pem("alice"));
            o.RecipientCertificatesPath = SMimeTestData.CertificateFolder(temp, "bob");
            o.Encrypt = SMimeEncryptPolicy.WhenAllRecipientsHaveCertificates;
        });
        var message = SMimeHost.Message();
        message.Cc.Add("dave@example.test");

        var sent = SMimeMessages.Load(await host.SendAsync(message));

        Assert.IsType<MultipartSigned>(sent.Body);
    }

    [Fact]
    public async Task Send_SignAlwaysFromAnAddressWithoutIdentity_IsRefused()
    {
        await using var host = SMimeHost.Build(o =>
        {
            o.Identities.Add(SMimeTestData.Pem("alice"));
            o.Sign = SMimeSignPolicy.Always;
        });

        var error = await Assert.ThrowsAsync<MailDeliveryException>(() => host.SendAsync(SMimeHost.Message(from: "noreply@example.test")));

        Assert.Equal("smime_no_signing_key", error.ErrorType);
        Assert.Contains("'noreply@example.test'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_WhenKeyAvailableFromAnotherAddress_SendsUnchanged()
    {
        await using var host = SMimeHost.Build(o => o.Identities.Add(SMimeTestData.Pem("alice")));

        var sent = SMimeMessages.Load(await host.SendAsync(SMimeHost.Message(from: "noreply@example.test")));

        Assert.IsType<TextPart>(sent.Body);
    }

    [Fact]
    public async Task Send_SameMessageTwice_IsNotWrappedTwice()
    {
        await using var host = SMimeHost.Build(o => o.Identities.Add(SMimeTestData.Pem("alice")));
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@example.test"));
        message.To.Add(MailboxAddress.Parse("bob@example.test"));
        message.Subject = "twice";
        message.Body = new TextPart("plain") { Text = "once" };
        var sender = host.Provider.GetRequiredService<IMailSender>();

        await sender.SendAsync(message);
        await sender.SendAsync(message);

        var second = SMimeMessages.Load(host.Transport.Sent[^1]);
        var signed = Assert.IsType<MultipartSigned>(second.Body);
        Assert.IsType<TextPart>(signed[0]);
    }

    [Fact]
    public async Task Parse_MalformedPkcs7Signature_IsErrorAndNothingThrows()
    {
        const string raw = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\"\r\n\r\n"
            + "--b\r\nContent-Type: text/plain\r\n\r\nthe text\r\n"
            + "--b\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nTm90IGEgc2lnbmF0dXJlIGF0IGFsbA==\r\n--b--\r\n";
        await using var host = SMimeHost.Build(o => o.Identities.Add(SMimeTestData.Pem("bob")));

        var mail = await host.ParseAsync(Encoding.ASCII.GetBytes(raw));

        var signature = Assert.Single(mail.Protection!.Signatures);
        Assert.Equal(ContentSignatureStatus.Error, signature.Status);
        Assert.Contains("cannot be read", signature.Reason, StringComparison.Ordinal);
        Assert.Equal("the text", mail.TextBody?.Trim());
    }

    [Fact]
    public async Task Parse_MalformedPkcs7Mime_IsReportedAndNothingThrows()
    {
        const string raw = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + "MIIBAAYJKoZIhvcNAQcDoIIB\r\n";
        await using var host = SMimeHost.Build(o => o.Identities.Add(SMimeTestData.Pem("bob")));

        var mail = await host.ParseAsync(Encoding.ASCII.GetBytes(raw));

        Assert.NotNull(mail.Protection);
        Assert.True(mail.Protection.IsEncrypted);
        Assert.False(mail.Protection.IsDecrypted);
        Assert.NotNull(mail.Protection.DecryptionError);
        Assert.Single(mail.Attachments);
    }

    [Fact]
    public async Task Parse_CertificatesOnlyPart_IsAnAttachmentNotProtection()
    {
        const string raw = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: my certificate\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: application/pkcs7-mime; smime-type=certs-only; name=smime.p7c\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + "MIIBAAYJKoZIhvcNAQcCoIIB\r\n";
        await using var host = SMimeHost.Build(o => o.Identities.Add(SMimeTestData.Pem("bob")));

        var mail = await host.ParseAsync(Encoding.ASCII.GetBytes(raw));

        Assert.Null(mail.Protection);
        Assert.Single(mail.Attachments);
    }

    [Fact]
    public async Task Parse_UnreadableOpaqueSignature_IsAnErrorSignatureNotAnEnvelope()
    {
        const string raw = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + "Tm90IENNUyBhdCBhbGw=\r\n";
        await using var host = SMimeHost.Build(o => o.Identities.Add(SMimeTestData.Pem("bob")));

        var mail = await host.ParseAsync(Encoding.ASCII.GetBytes(raw));

        Assert.False(mail.Protection!.IsEncrypted);
        Assert.Equal(ContentSignatureStatus.Error, Assert.Single(mail.Protection.Signatures).Status);
        Assert.Single(mail.Attachments);
    }

    [Fact]
    public async Task Options_PfxWithWrongPassword_FailsAtStartNamingTheKeyWithoutThePassword()
    {
        var error = await StartFailsAsync(o => o.Identities.Add(new SMimeIdentity { PfxPath = SMimeTestData.File("alice.pfx"), PfxPassword = "not-the-password" }));

        Assert.Contains("Mailing:SMime:Identities:0:PfxPath", error, StringComparison.Ordinal);
        Assert.Contains("PfxPassword is wrong", error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_EncryptedPemKey_LoadsWithItsPasswordAndFailsWithoutIt()
    {
        var identity = () => new SMimeIdentity { CertificatePath = SMimeTestData.File("alice.crt"), PrivateKeyPath = SMimeTestData.File("alice.encrypted.key") };
        var missing = await StartFailsAsync(o => o.Identities.Add(identity()));
        Assert.Contains("Mailing:SMime:Identities:0:PrivateKeyPassword", missing, StringComparison.Ordinal);

        var wrong = await StartFailsAsync(o => { var i = identity(); i.PrivateKeyPassword = "wrong-secret"; o.Identities.Add(i); });
        Assert.Contains("PrivateKeyPassword is wrong", wrong, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret", wrong, StringComparison.Ordinal);

        await using var host = SMimeHost.Build(o => { var i = identity(); i.PrivateKeyPassword = "alice-pem-secret"; o.Identities.Add(i); });
        var sent = SMimeMessages.Load(await host.SendAsync(SMimeHost.Message()));
        Assert.IsType<MultipartSigned>(sent.Body);
    }

    [Fact]
    public async Task Options_KeyOfAnotherCertificate_FailsAtStart()
    {
        var error = await StartFailsAsync(o => o.Identities.Add(new SMimeIdentity { CertificatePath = SMimeTestData.File("alice.crt"), PrivateKeyPath = SMimeTestData.File("bob.key") }));

        Assert.Contains("the private key does not belong to certificate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_ExpiredIdentityAndWrongAddress_FailAtStartWithBothErrors()
    {
        var error = await StartFailsAsync(o =>
        {
            o.Identities.Add(SMimeTestData.Pem("eve"));
            var alice = SMimeTestData.Pem("alice");
            alice.Address = "boss@example.test";
            o.Identities.Add(alice);
        });

        Assert.Contains("Mailing:SMime:Identities:0: certificate", error, StringComparison.Ordinal);
        Assert.Contains("expired on 2021-01-01", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:SMime:Identities:1:Address 'boss@example.test' is not named by certificate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_MissingFolderAndUserCertificateAsAnchor_FailAtStart()
    {
        var error = await StartFailsAsync(o =>
        {
            o.RecipientCertificatesPath = "/nonexistent/smime-certs";
            o.TrustAnchorsPath = SMimeTestData.File("bob.crt");
        });

        Assert.Contains("Mailing:SMime:RecipientCertificatesPath: no folder at '/nonexistent/smime-certs'", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:SMime:TrustAnchorsPath:", error, StringComparison.Ordinal);
        Assert.Contains("is not a certificate authority", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_WeakAlgorithmValue_FailsAtStart()
    {
        var error = await StartFailsAsync(o => o.EncryptionAlgorithm = (SMimeEncryptionAlgorithm)42);

        Assert.Contains("Mailing:SMime:EncryptionAlgorithm must be Aes256, Aes192 or Aes128", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddSMime_FromConfiguration_BindsMailingSMime()
    {
        using var temp = new SMimeTemp();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:DefaultFrom"] = "alice@example.test",
            ["Mailing:SMime:Identities:0:PfxPath"] = SMimeTestData.File("alice.pfx"),
            ["Mailing:SMime:Identities:0:PfxPassword"] = "alice-pfx-secret",
            ["Mailing:SMime:RecipientCertificatesPath"] = SMimeTestData.CertificateFolder(temp, "bob"),
            ["Mailing:SMime:Encrypt"] = "Always",
            ["Mailing:SMime:EncryptionAlgorithm"] = "Aes128",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        var transport = new CapturingTransport();
        services.AddSingleton(transport);
        services.AddMailing(configuration.GetSection("Mailing")).AddSMime().AddTransport<CapturingTransport>();
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IMailSender>().SendAsync(SMimeHost.Message());

        var options = provider.GetRequiredService<IOptions<SMimeOptions>>().Value;
        Assert.Equal(SMimeEncryptPolicy.Always, options.Encrypt);
        Assert.Equal(SMimeEncryptionAlgorithm.Aes128, options.EncryptionAlgorithm);
        var sent = SMimeMessages.Load(transport.Sent[^1]);
        Assert.Equal(SecureMimeType.EnvelopedData, Assert.IsType<ApplicationPkcs7Mime>(sent.Body).SecureMimeType);
    }

    [Fact]
    public void Identity_ToString_HidesKeysAndPasswords()
    {
        var identity = new SMimeIdentity { PfxPath = "/keys/a.pfx", PfxPassword = "s3cret", PrivateKeyPem = "-----BEGIN PRIVATE KEY-----x", PrivateKeyPassword = "p4ss" };

        var text = identity.ToString();

        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("p4ss", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", text, StringComparison.Ordinal);
        Assert.Contains("/keys/a.pfx", text, StringComparison.Ordinal);
    }

    private static async Task<string> StartFailsAsync(Action<SMimeOptions> configure)
    {
        await using var host = SMimeHost.Build(configure);
        var error = Assert.Throws<OptionsValidationException>(() => host.Provider.GetRequiredService<IOptions<SMimeOptions>>().Value);
        return error.Message;
    }
}
