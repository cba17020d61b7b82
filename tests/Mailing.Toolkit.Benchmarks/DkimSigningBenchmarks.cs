using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.OpenSsl;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// DKIM signing of a 2 KB and a 100 KB message (rsa-sha256, 2048-bit key, relaxed/relaxed) through the outgoing filter
/// <c>AddDkimSigning()</c> registers, against raw MimeKit on the same message and key: <c>Prepare(SevenBit)</c> and
/// <c>DkimSigner.Sign</c> with the same header list. Both first remove the previous iteration's signature.
/// Target: at most 1.1x. Run with --filter '*DkimSigning*'.
/// </summary>
[MemoryDiagnoser]
public class DkimSigningBenchmarks
{
    private static readonly string[] Headers =
        ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "From"];

    private readonly FormatOptions format = CreateFormat();
    private ServiceProvider provider = null!;
    private IOutgoingMailFilter filter = null!;
    private DkimSigner raw = null!;
    private MimeMessage message = null!;
    private OutgoingMail mail = null!;

    [Params(2, 100)]
    public int SizeKb { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportPkcs8PrivateKeyPem();

        var services = new ServiceCollection();
        services.AddMailing().AddDkimSigning(o => o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "bench", PrivateKeyPem = pem }));
        provider = services.BuildServiceProvider();
        filter = provider.GetServices<IOutgoingMailFilter>().Single();

        using (var reader = new StringReader(pem))
            raw = new DkimSigner((AsymmetricKeyParameter)new PemReader(reader).ReadObject(), "example.test", "bench")
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };

        message = CreateMessage(SizeKb * 1024);
        mail = new OutgoingMail(message, MailEnvelope.FromMessage(message), null);
    }

    [GlobalCleanup]
    public void Cleanup() => provider.Dispose();

    [Benchmark(Baseline = true, Description = "MimeKit Prepare + DkimSigner.Sign")]
    public void RawMimeKit()
    {
        message.Headers.RemoveAll(HeaderId.DkimSignature);
        message.Prepare(EncodingConstraint.SevenBit);
        raw.Sign(format, message, Headers);
    }

    [Benchmark(Description = "DKIM signing filter")]
    public ValueTask Filter() => filter.OnSendingAsync(mail, CancellationToken.None);

    private static MimeMessage CreateMessage(int size)
    {
        var text = new StringBuilder(size + 100);
        var line = 0;
        while (text.Length < size)
            text.Append("Line ").Append(line++).Append(" of the quarterly report, with figures and a few words of comment.\n");

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Reports", "reports@example.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@receiver.test"));
        message.Subject = "Quarterly report";
        message.Date = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        message.MessageId = "bench@example.test";
        message.Body = new TextPart("plain") { Text = text.ToString() };
        return message;
    }

    private static FormatOptions CreateFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        return format;
    }
}
