using System.Text;
using MailKit.Security;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit.Cryptography;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>AddOpenPgp from configuration, the checks made at start, and a round trip through SMTP.</summary>
[Collection(GpgTests.Name)]
public sealed class OpenPgpRegistrationTests(GpgFixture gpg)
{
    [SkippableFact]
    public async Task AddOpenPgp_FromConfigurationWithKeyFiles_SignsAsConfigured()
    {
        gpg.Require();
        using var dir = new TempFolder();
        var secret = dir.Write("alice-secret.asc", gpg.Alice.SecretArmored);
        // Binary, as gpg --export without --armor writes it.
        var binary = await gpg.GpgAsync(["--export", gpg.Bob.Fingerprint]);
        var bobPath = Path.Combine(dir.Path, "bob.gpg");
        await File.WriteAllBytesAsync(bobPath, binary.Stdout);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:DefaultFrom"] = "alice@example.com",
            ["Mailing:OpenPgp:SecretKeys:0:Path"] = secret,
            ["Mailing:OpenPgp:SecretKeys:0:Passphrase"] = gpg.Alice.Passphrase,
            ["Mailing:OpenPgp:PublicKeys:0:Path"] = bobPath,
            ["Mailing:OpenPgp:Sign"] = "Always",
            ["Mailing:OpenPgp:Encrypt"] = "Never",
            ["Mailing:OpenPgp:SigningKeys:noreply@example.com"] = gpg.Alice.Fingerprint,
        }).Build();
        var services = new ServiceCollection();
        var transport = new CapturingTransport();
        services.AddSingleton(transport);
        services.AddMailing(configuration.GetSection("Mailing")).AddOpenPgp().AddTransport<CapturingTransport>();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<OpenPgpOptions>>().Value;
        await provider.GetRequiredService<IMailSender>().SendAsync(OpenPgpOutgoingTests.Message("configured"));

        Assert.Equal(DigestAlgorithm.Sha256, options.DigestAlgorithm);
        Assert.Equal(EncryptionAlgorithm.Aes256, options.EncryptionAlgorithm);
        Assert.Equal(OpenPgpSignPolicy.Always, options.Sign);
        Assert.Equal(OpenPgpEncryptPolicy.Never, options.Encrypt);
        Assert.Equal(gpg.Alice.Fingerprint, options.SigningKeys["NoReply@example.com"]);
        var parts = PgpMimeWire.Parts(transport.Sent.Single());
        var verified = await gpg.GpgAsync(["--verify", gpg.WriteFile("s.asc", PgpMimeWire.Body(parts[1])), gpg.WriteFile("c", parts[0])]);
        Assert.True(verified.ExitCode == 0, verified.Stderr);
    }

    [SkippableFact]
    public async Task Start_WrongPassphrase_FailsNamingTheEntryWithoutThePassphrase()
    {
        gpg.Require();
        var error = await StartFailsAsync(o => o.SecretKeys.Add(new OpenPgpSecretKeySource { Armored = gpg.Alice.SecretArmored, Passphrase = "Wr0ng-Secret!" }));

        Assert.Contains("Mailing:OpenPgp:SecretKeys:0:Passphrase does not unlock secret key 0x" + gpg.Alice.KeyIds[0], error, StringComparison.Ordinal);
        Assert.DoesNotContain("Wr0ng-Secret!", error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Start_BadEntries_EachNamed()
    {
        gpg.Require();
        var error = await StartFailsAsync(o =>
        {
            o.SecretKeys.Add(new OpenPgpSecretKeySource { Armored = gpg.Bob.PublicArmored, Passphrase = "x" });
            o.SecretKeys.Add(new OpenPgpSecretKeySource { Armored = gpg.Alice.SecretArmored });
            o.PublicKeys.Add(new OpenPgpKeySource { Path = "/nonexistent/keys.asc" });
            o.PublicKeys.Add(new OpenPgpKeySource { Armored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PUBLIC KEY BLOCK-----\n" });
            o.PublicKeys.Add(new OpenPgpKeySource { Armored = gpg.Carol.SecretArmored });
            o.SigningKeys["robot@example.com"] = "ABCD";
            o.DigestAlgorithm = DigestAlgorithm.Sha1;
            o.EncryptionAlgorithm = EncryptionAlgorithm.Cast5;
        });

        Assert.Contains("Mailing:OpenPgp:SecretKeys:0:Armored holds a public key where secret keys are expected", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:OpenPgp:SecretKeys:1:Passphrase is required", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:OpenPgp:PublicKeys:0:Path: no file at '/nonexistent/keys.asc'", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:OpenPgp:PublicKeys:1:Armored", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:OpenPgp:PublicKeys:2:Armored holds a secret key", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:OpenPgp:DigestAlgorithm 'Sha1'", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:OpenPgp:EncryptionAlgorithm 'Cast5'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Start_SigningKeyFingerprintNotASecretKey_Fails()
    {
        gpg.Require();
        var error = await StartFailsAsync(o =>
        {
            o.SecretKeys.Add(gpg.Alice.Secret);
            o.SigningKeys["robot@example.com"] = gpg.Bob.Fingerprint;
        });

        Assert.Contains($"Mailing:OpenPgp:SigningKeys:robot@example.com: no secret key with fingerprint {gpg.Bob.Fingerprint}", error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Start_UnprotectedSecretKey_RefusedUnlessAllowed()
    {
        gpg.Require();
        var made = await gpg.GpgAsync(["--quick-gen-key", "Open <open@example.com>", "ed25519", "sign", "never"], passphrase: string.Empty);
        Assert.True(made.ExitCode == 0, made.Stderr);
        var exported = (await gpg.GpgAsync(["--export-secret-keys", "--armor", "open@example.com"], passphrase: string.Empty)).Text;

        var error = await StartFailsAsync(o => o.SecretKeys.Add(new OpenPgpSecretKeySource { Armored = exported }));
        Assert.Contains("Mailing:OpenPgp:SecretKeys:0: secret key 0x", error, StringComparison.Ordinal);
        Assert.Contains("has no passphrase", error, StringComparison.Ordinal);

        await using var allowed = OpenPgpHost.Build(o =>
        {
            o.SecretKeys.Add(new OpenPgpSecretKeySource { Armored = exported });
            o.AllowUnprotectedSecretKeys = true;
        });
        Assert.NotNull(allowed.Provider.GetRequiredService<IOptions<OpenPgpOptions>>().Value);
    }

    [SkippableFact]
    public async Task SentThroughSmtp_ReceiverParserFromDi_DecryptsAndVerifies_AndGpgAgrees()
    {
        gpg.Require();
        await using var server = InProcessSmtpServer.Start();
        var sender = new ServiceCollection();
        sender.AddMailing(o => o.DefaultFrom = "alice@example.com")
            .AddOpenPgp(o =>
            {
                o.SecretKeys.Add(gpg.Alice.Secret);
                o.PublicKeys.Add(gpg.Bob.Public);
                o.Encrypt = OpenPgpEncryptPolicy.Always;
                o.Sign = OpenPgpSignPolicy.Always;
            })
            .AddSmtpSender(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = server.Port;
                o.Security = SecureSocketOptions.None;
            });
        await using var sending = sender.BuildServiceProvider();
        var message = new MailMessage
        {
            From = "Alice <alice@example.com>",
            To = { "Bob <bob@example.com>" },
            Subject = "Quarterly numbers",
            TextBody = "Revenue is up 12 %.\nDanke schön.\n",
            HtmlBody = "<p>Revenue is up <b>12 %</b>.</p>",
        };
        message.Attachments.Add(MailAttachment.FromBytes(Encoding.UTF8.GetBytes("q,revenue\n3,112\n"), "numbers.csv"));

        await sending.GetRequiredService<IMailSender>().SendAsync(message);

        var received = Assert.Single(server.Messages);
        Assert.DoesNotContain("Revenue", received.Text, StringComparison.Ordinal);
        var receiver = new ServiceCollection();
        receiver.AddMailing(o => o.DefaultFrom = "bob@example.com")
            .AddOpenPgp(o =>
            {
                o.SecretKeys.Add(gpg.Bob.Secret);
                o.PublicKeys.Add(gpg.Alice.Public);
            })
            .AddMailParser();
        await using var receiving = receiver.BuildServiceProvider();

        var mail = await receiving.GetRequiredService<IMailParser>().ParseAsync(new MemoryStream(received.Data));

        var protection = Assert.IsType<ContentProtectionInfo>(mail.Protection);
        Assert.Equal(ContentProtectionScheme.OpenPgp, protection.EncryptionScheme);
        Assert.True(protection.IsDecrypted, protection.DecryptionError);
        var signature = Assert.Single(protection.Signatures);
        Assert.True(signature.IsValid, signature.Reason);
        Assert.Equal("alice@example.com", signature.SignerAddress);
        Assert.Equal(gpg.Alice.Fingerprint, signature.Fingerprint);
        Assert.Equal("Quarterly numbers", mail.Subject);
        Assert.Contains("Revenue is up 12 %.", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("<b>12 %</b>", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Equal("numbers.csv", Assert.Single(mail.Attachments).FileName);

        var payload = PgpMimeWire.Body(PgpMimeWire.Parts(received.Data)[1]);
        Assert.StartsWith("-----BEGIN PGP MESSAGE-----", Encoding.ASCII.GetString(payload), StringComparison.Ordinal);
        var decrypted = await gpg.GpgAsync(["--decrypt"], payload, passphrase: gpg.Bob.Passphrase);
        Assert.True(decrypted.ExitCode == 0, decrypted.Stderr + "\n" + received.Text);
        Assert.Contains("Good signature from \"Alice <alice@example.com>\"", decrypted.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AddOpenPgp_Twice_OneFilterAndOneUnprotector_BothConfigurationsApply()
    {
        gpg.Require();
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "alice@example.com")
            .AddOpenPgp(o => o.SecretKeys.Add(gpg.Alice.Secret))
            .AddOpenPgp(o => o.Sign = OpenPgpSignPolicy.Always);
        await using var provider = services.BuildServiceProvider();

        Assert.Single(provider.GetServices<IOutgoingMailFilter>(), f => f.GetType().Name == "OpenPgpFilter");
        Assert.Single(provider.GetServices<Mailing.Toolkit.Security.Internal.IContentUnprotector>());
        var options = provider.GetRequiredService<IOptions<OpenPgpOptions>>().Value;
        Assert.Single(options.SecretKeys);
        Assert.Equal(OpenPgpSignPolicy.Always, options.Sign);
    }

    private static async Task<string> StartFailsAsync(Action<OpenPgpOptions> configure)
    {
        await using var host = OpenPgpHost.Build(configure);
        var error = Assert.Throws<OptionsValidationException>(() => host.Provider.GetRequiredService<IOptions<OpenPgpOptions>>().Value);
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains("PGP PRIVATE", StringComparison.Ordinal));
        return error.Message;
    }
}
