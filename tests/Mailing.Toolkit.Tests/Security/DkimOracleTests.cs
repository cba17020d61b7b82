using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit.Security;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using static Mailing.Toolkit.Tests.Security.DkimSigningTests;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>
/// Every signature we make, checked by two verifiers that share no code with MimeKit: dkimpy (python3-dkim) and
/// libopendkim (opendkim -t), each given the public key we publish. Tampered copies must fail in both.
/// The real clock is used: both verifiers reject a t= in the future or an expired x=.
/// </summary>
public sealed class DkimOracleTests
{
    private const string RsaName = "rsa2026._domainkey.example.test";
    private const string EdName = "ed2026._domainkey.example.test";

    private static readonly Dictionary<string, string> Records = new()
    {
        [RsaName] = Rsa.DnsRecord,
        [EdName] = Ed.DnsRecord,
    };

    [SkippableTheory]
    [InlineData("relaxed/relaxed")]
    [InlineData("simple/simple")]
    [InlineData("relaxed/simple")]
    [InlineData("simple/relaxed")]
    public async Task RsaSignature_EachCanonicalization_VerifiesInBothOracles(string canonicalization)
    {
        var sent = await SignAsync(o =>
        {
            o.Canonicalization = canonicalization;
            o.Keys.Add(Key("example.test", "rsa2026", Rsa));
        }, PlainMessage());

        Assert.Contains($"c={canonicalization}", Unfolded(sent), StringComparison.Ordinal);
        await AssertVerifiesAsync(sent, expectedSignatures: 1);
    }

    [SkippableTheory]
    [InlineData("relaxed/relaxed")]
    [InlineData("simple/simple")]
    public async Task Ed25519Signature_VerifiesInPython(string canonicalization)
    {
        var sent = await SignAsync(o =>
        {
            o.Canonicalization = canonicalization;
            o.Keys.Add(Key("example.test", "ed2026", Ed));
        }, PlainMessage());

        var python = await DkimOracles.PythonAsync(sent, Records);
        Assert.True(python.ExitCode == 0, python.Output);
        Assert.Contains("ed2026 pass", python.Output, StringComparison.Ordinal);
        var tampered = await DkimOracles.PythonAsync(TamperBody(sent), Records);
        Assert.Equal(1, tampered.ExitCode);
    }

    [SkippableFact]
    public async Task Ed25519Signature_OpenDkim_VerifiesOrSaysItCannot()
    {
        var sent = await SignAsync(o => o.Keys.Add(Key("example.test", "ed2026", Ed)), PlainMessage());

        var result = await DkimOracles.OpenDkimAsync(sent, Records);

        // libopendkim 2.11 knows ed25519-sha256 (RFC 8463); this records that it verifies ours.
        Assert.Equal(["pass"], DkimOracles.OpenDkimResults(result));
    }

    [SkippableFact]
    public async Task DualSignature_RsaAndEd25519_BothVerify()
    {
        var sent = await SignAsync(o =>
        {
            o.Keys.Add(Key("example.test", "rsa2026", Rsa));
            o.Keys.Add(Key("example.test", "ed2026", Ed));
        }, PlainMessage());

        var python = await DkimOracles.PythonAsync(sent, Records);
        Assert.True(python.ExitCode == 0, python.Output);
        Assert.Contains("rsa2026 pass", python.Output, StringComparison.Ordinal);
        Assert.Contains("ed2026 pass", python.Output, StringComparison.Ordinal);
        var opendkim = await DkimOracles.OpenDkimAsync(sent, Records);
        Assert.Equal(["pass", "pass"], DkimOracles.OpenDkimResults(opendkim));
    }

    [SkippableFact]
    public async Task MultipartWithAttachment_Verifies()
    {
        var builder = new BodyBuilder { TextBody = "See the attached file.\n", HtmlBody = "<p>See the <b>attached</b> file.</p>" };
        var bytes = new byte[5000];
        new Random(7).NextBytes(bytes);
        builder.Attachments.Add("report.bin", bytes, new ContentType("application", "octet-stream"));
        var message = DkimSigningTests.Message("reports@example.test");
        message.Body = builder.ToMessageBody();

        var sent = await SignAsync(o => o.Keys.Add(Key("example.test", "rsa2026", Rsa)), message);

        Assert.Contains("multipart/mixed", Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
        await AssertVerifiesAsync(sent, expectedSignatures: 1);
    }

    [SkippableTheory]
    [InlineData("relaxed/relaxed")]
    [InlineData("simple/simple")]
    public async Task EightBitUtf8Content_PreparedThenVerifies(string canonicalization)
    {
        var message = DkimSigningTests.Message("Jürgen Müller <jm@example.test>");
        message.Subject = "Grüße – Übersicht für März ✓";
        message.Body = new TextPart("plain")
        {
            ContentTransferEncoding = ContentEncoding.EightBit,
            Text = "Liebe Grüße aus Köln.\nUne très longue ligne " + new string('é', 300) + "\n\n\n",
        };

        var sent = await SignAsync(o =>
        {
            o.Canonicalization = canonicalization;
            o.Keys.Add(Key("example.test", "rsa2026", Rsa));
            o.Keys.Add(Key("example.test", "ed2026", Ed));
        }, message);

        Assert.All(sent, b => Assert.True(b < 128));
        await AssertVerifiesAsync(sent, expectedSignatures: 2);
    }

    [SkippableFact]
    public async Task BccRecipient_IsNotOnTheWireAndTheSignatureVerifies()
    {
        var message = PlainMessage();
        message.Bcc.Add(MailboxAddress.Parse("hidden@receiver.test"));

        var sent = await SignAsync(o => o.Keys.Add(Key("example.test", "rsa2026", Rsa)), message);

        Assert.DoesNotContain("hidden@receiver.test", Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
        await AssertVerifiesAsync(sent, expectedSignatures: 1);
    }

    [SkippableFact]
    public async Task AddedSecondFrom_FailsBecauseFromIsOversigned()
    {
        var sent = await SignAsync(o => o.Keys.Add(Key("example.test", "rsa2026", Rsa)), PlainMessage());
        var text = Encoding.ASCII.GetString(sent);
        var forged = Encoding.ASCII.GetBytes(text.Replace("\r\n\r\n", "\r\nFrom: ceo@example.test\r\n\r\n", StringComparison.Ordinal));

        var python = await DkimOracles.PythonAsync(forged, Records);
        var opendkim = await DkimOracles.OpenDkimAsync(forged, Records);

        Assert.Equal(1, python.ExitCode);
        Assert.Equal(["fail"], DkimOracles.OpenDkimResults(opendkim));
    }

    [SkippableFact]
    public async Task OpenSslKeys_RecordsMadeWithTheDocumentedCommands_Verify()
    {
        using var dir = new TempFolder();
        var rsaPath = Path.Combine(dir.Path, "rsa.pem");
        var edPath = Path.Combine(dir.Path, "ed.pem");
        // The commands of docs/security.md (DKIM signing: keys and the DNS record).
        await DkimOracles.ShellAsync($"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '{rsaPath}' && openssl genpkey -algorithm ed25519 -out '{edPath}'");
        var rsaKey = (await DkimOracles.ShellAsync($"openssl pkey -in '{rsaPath}' -pubout -outform DER | base64 -w0")).Trim();
        var edKey = (await DkimOracles.ShellAsync($"openssl pkey -in '{edPath}' -pubout -outform DER | tail -c 32 | base64 -w0")).Trim();
        var records = new Dictionary<string, string>
        {
            ["r1._domainkey.example.test"] = $"v=DKIM1; k=rsa; p={rsaKey}",
            ["e1._domainkey.example.test"] = $"v=DKIM1; k=ed25519; p={edKey}",
        };

        var sent = await SignAsync(o =>
        {
            o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "r1", PrivateKeyPath = rsaPath });
            o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "e1", Algorithm = "ed25519-sha256", PrivateKeyPath = edPath });
        }, PlainMessage());

        var python = await DkimOracles.PythonAsync(sent, records);
        Assert.True(python.ExitCode == 0, python.Output);
        Assert.Equal(["pass", "pass"], DkimOracles.OpenDkimResults(await DkimOracles.OpenDkimAsync(sent, records)));
    }

    [SkippableFact]
    public async Task SentThroughSmtp_ReceivedBytesVerify()
    {
        await using var server = InProcessSmtpServer.Start();
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "app@example.test")
            .AddDkimSigning(o =>
            {
                o.Keys.Add(Key("example.test", "rsa2026", Rsa));
                o.Keys.Add(Key("example.test", "ed2026", Ed));
            })
            .AddSmtpSender(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = server.Port;
                o.Security = SecureSocketOptions.None;
            });
        await using var provider = services.BuildServiceProvider();
        var message = new MailMessage
        {
            From = "Shop <orders@example.test>",
            To = { "alice@receiver.test" },
            Bcc = { "audit@receiver.test" },
            Subject = "Your order ✓",
            TextBody = "Danke für Ihre Bestellung.\n.\nA line with a lone dot above (dot-stuffed on the wire).\n",
            HtmlBody = "<p>Danke für Ihre Bestellung.</p>",
        };
        message.Attachments.Add(MailAttachment.FromBytes(Encoding.UTF8.GetBytes("order,total\n1,9.99\n"), "order.csv"));

        await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var received = Assert.Single(server.Messages);
        Assert.Contains("audit@receiver.test", received.To);
        Assert.DoesNotContain("audit@receiver.test", received.Text, StringComparison.Ordinal);
        // The SmtpServer package hands over the data without the CRLF that ends its last line (it takes it as part of
        // the <CRLF>.<CRLF> terminator); an MTA stores that line ended, and opendkim's test mode needs it.
        var stored = received.Data.AsSpan().EndsWith("\r\n"u8) ? received.Data : [.. received.Data, (byte)'\r', (byte)'\n'];
        await AssertVerifiesAsync(stored, expectedSignatures: 2);
    }

    [SkippableFact]
    public async Task KeyFromPemFile_Verifies()
    {
        using var dir = new TempFolder();
        var path = dir.Write("rsa2026.pem", Rsa.Pem);

        var sent = await SignAsync(o => o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "rsa2026", PrivateKeyPath = path }), PlainMessage());

        await AssertVerifiesAsync(sent, expectedSignatures: 1);
    }

    [SkippableFact]
    public async Task KeyFromCertificateStore_Verifies()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=dkim.example.test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.Exportable);
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        try
        {
            store.Open(OpenFlags.ReadWrite);
        }
        catch (CryptographicException ex)
        {
            throw new SkipException($"The CurrentUser/My store cannot be written here: {ex.Message}");
        }

        store.Add(certificate);
        try
        {
            var records = new Dictionary<string, string> { ["cert1._domainkey.example.test"] = $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}" };

            var sent = await SignAsync(o => o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "cert1", CertificateThumbprint = certificate.Thumbprint }), PlainMessage());

            var python = await DkimOracles.PythonAsync(sent, records);
            Assert.True(python.ExitCode == 0, python.Output);
            Assert.Equal(["pass"], DkimOracles.OpenDkimResults(await DkimOracles.OpenDkimAsync(sent, records)));
        }
        finally
        {
            store.Remove(certificate);
        }
    }

    [SkippableFact]
    public async Task SubdomainSignedByParent_Verifies()
    {
        var sent = await SignAsync(o => o.Keys.Add(Key("example.test", "rsa2026", Rsa, k =>
        {
            k.SignSubdomains = true;
            k.AgentOrUserIdentifier = "@news.example.test";
        })), DkimSigningTests.Message("offers@news.example.test"));

        await AssertVerifiesAsync(sent, expectedSignatures: 1);
    }

    private static async Task AssertVerifiesAsync(byte[] sent, int expectedSignatures)
    {
        var python = await DkimOracles.PythonAsync(sent, Records);
        Assert.True(python.ExitCode == 0, "python3-dkim: " + python.Output + "\n" + Encoding.UTF8.GetString(sent));
        Assert.Equal(expectedSignatures, python.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(" pass", StringComparison.Ordinal)));

        var opendkim = await DkimOracles.OpenDkimAsync(sent, Records);
        Assert.True(DkimOracles.OpenDkimResults(opendkim).SequenceEqual(Enumerable.Repeat("pass", expectedSignatures)), "opendkim: " + opendkim.Output);

        // Negative control: the same oracles must reject a changed body.
        var tampered = TamperBody(sent);
        var pythonTampered = await DkimOracles.PythonAsync(tampered, Records);
        Assert.True(pythonTampered.ExitCode == 1, "python3-dkim accepted a tampered body: " + pythonTampered.Output);
        var opendkimTampered = DkimOracles.OpenDkimResults(await DkimOracles.OpenDkimAsync(tampered, Records));
        Assert.True(opendkimTampered.Length == expectedSignatures && opendkimTampered.All(r => r == "fail"), "opendkim on a tampered body: " + string.Join(",", opendkimTampered));
    }

    /// <summary>Changes one visible character of the body (not whitespace, which relaxed canonicalization would forgive).</summary>
    private static byte[] TamperBody(byte[] sent)
    {
        var copy = (byte[])sent.Clone();
        var bodyStart = Encoding.ASCII.GetString(copy).IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        for (var i = copy.Length - 1; i >= bodyStart; i--)
        {
            if (copy[i] is >= (byte)'a' and < (byte)'z')
            {
                copy[i]++;
                return copy;
            }
        }

        throw new InvalidOperationException("No letter in the body to change.");
    }

    private static string Unfolded(byte[] sent) => Encoding.ASCII.GetString(sent).Replace("\r\n ", " ", StringComparison.Ordinal).Replace("\r\n\t", " ", StringComparison.Ordinal);

    private static MimeMessage PlainMessage()
    {
        var message = DkimSigningTests.Message("Reports <reports@example.test>");
        message.Cc.Add(MailboxAddress.Parse("carol@receiver.test"));
        message.ReplyTo.Add(MailboxAddress.Parse("replies@example.test"));
        message.Headers.Add("List-Unsubscribe", "<https://example.test/unsubscribe/42>");
        message.Body = new TextPart("plain") { Text = "Hello Bob,\n\n  the   report\tis attached.  \n\n\n" };
        return message;
    }

    private static async Task<byte[]> SignAsync(Action<DkimSigningOptions> configure, MimeMessage message)
    {
        await using var host = DkimHost.Build(configure, time: TimeProvider.System);
        await host.SendAsync(message);
        return host.Transport.Sent.Single();
    }
}
