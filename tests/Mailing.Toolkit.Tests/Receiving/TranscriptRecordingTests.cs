using MailKit.Net.Imap;
using MailKit.Security;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Tests.Receiving;

/// <summary>
/// Not tests: the recorders the transcripts under TestData/Transcripts were made with. Each runs the library's receiver
/// through a <see cref="TranscriptRecorder"/> in front of a real Dovecot and writes what both sides said, which is
/// then edited into an edge case (TestData/Transcripts/README.md). To record again, start a Dovecot with SSL-on-connect
/// listeners (the integration tests' dovecot.conf does), set MAILING_TRANSCRIPT_DOVECOT=host:imapsPort:pop3sPort (any
/// user logs in with MAILING_TRANSCRIPT_PASSWORD, default "secret") and run
/// <c>dotnet test --filter FullyQualifiedName~TranscriptRecording</c> (without the variable they are skipped); the files land in MAILING_TRANSCRIPT_OUT (default: the temp folder).
/// </summary>
public sealed class TranscriptRecordingTests
{
    private static readonly string[] Bodies =
    [
        "From: alice@example.test\r\nTo: inbox@example.test\r\nSubject: First\r\nMessage-ID: <first@example.test>\r\n\r\nThe first message.\r\n",
        "From: bob@example.test\r\nTo: inbox@example.test\r\nSubject: Second\r\nMessage-ID: <second@example.test>\r\n\r\nThe second message.\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\nend\r\n",
        "From: carol@example.test\r\nTo: inbox@example.test\r\nSubject: Third\r\nMessage-ID: <third@example.test>\r\n\r\nThe third message.\r\n",
    ];

    [SkippableFact]
    public async Task Record_ImapPassWithEveryDisposition()
    {
        var (host, imapsPort, _, password) = Dovecot();
        var user = $"transcript{Environment.ProcessId}i";
        await AppendAsync(host, imapsPort, user, password);
        await using var recorder = new TranscriptRecorder(host, imapsPort, imap: true);
        await using (var provider = Services(s => s.AddMailing().AddImapReceiver(
            o => Account(o, recorder.Port, user, password),
            r =>
            {
                r.UseIdle = false;
                r.MaxConnectAttempts = 2;
                r.ReconnectBaseDelay = TimeSpan.Zero;
                r.ReconnectMaxDelay = TimeSpan.Zero;
            })))
        {
            var receiver = provider.GetRequiredService<IMailReceiver>();
            var mails = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            Assert.Equal(3, mails.Count);
            await receiver.AcknowledgeAsync(mails[0], MailDisposition.MarkSeen);
            await receiver.AcknowledgeAsync(mails[1], MailDisposition.MoveTo("Archive"));
            await receiver.AcknowledgeAsync(mails[2], MailDisposition.Delete);
            Assert.Empty(await Pop3ReceiverTests.ReceiveAllAsync(receiver));
        }

        await WriteAsync("imap-recorded.txt", recorder);
    }

    [SkippableFact]
    public async Task Record_Pop3PassWithDelete()
    {
        var (host, imapsPort, pop3sPort, password) = Dovecot();
        var user = $"transcript{Environment.ProcessId}p";
        await AppendAsync(host, imapsPort, user, password);
        await using var recorder = new TranscriptRecorder(host, pop3sPort, imap: false);
        await using (var provider = Services(s => s.AddMailing().AddPop3Receiver(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = recorder.Port;
            o.Security = SecureSocketOptions.SslOnConnect;
            o.UserName = user;
            o.Password = password;
            o.CheckCertificateRevocation = false;
            o.ServerCertificateValidationCallback = TestCertificates.PinLocalhost;
            o.ReconnectBaseDelay = TimeSpan.Zero;
            o.ReconnectMaxDelay = TimeSpan.Zero;
        })))
        {
            var receiver = provider.GetRequiredService<IMailReceiver>();
            var mails = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            Assert.Equal(3, mails.Count);
            await receiver.AcknowledgeAsync(mails[0], MailDisposition.Delete);
            await receiver.AcknowledgeAsync(mails[1], MailDisposition.MarkSeen);
            await receiver.AcknowledgeAsync(mails[2], MailDisposition.MarkSeen);
            Assert.Empty(await Pop3ReceiverTests.ReceiveAllAsync(receiver));
        }

        await WriteAsync("pop3-recorded.txt", recorder);
    }

    internal static void Account(Imap.ImapOptions o, int port, string user, string password)
    {
        o.Host = "127.0.0.1";
        o.Port = port;
        o.Security = SecureSocketOptions.SslOnConnect;
        o.UserName = user;
        o.Password = password;
        o.CheckCertificateRevocation = false;
        o.ServerCertificateValidationCallback = TestCertificates.PinLocalhost;
    }

    private static ServiceProvider Services(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure(services);
        return services.BuildServiceProvider();
    }

    private static (string Host, int ImapsPort, int Pop3sPort, string Password) Dovecot()
    {
        // A recorder runs only where MAILING_TRANSCRIPT_DOVECOT names a live Dovecot; elsewhere it is skipped.
        var setting = Environment.GetEnvironmentVariable("MAILING_TRANSCRIPT_DOVECOT");
        Skip.If(string.IsNullOrEmpty(setting), "Recorder, not a test: set MAILING_TRANSCRIPT_DOVECOT=host:imapsPort:pop3sPort to a live Dovecot to record (see the class summary and TestData/Transcripts/README.md).");
        var parts = setting!.Split(':');
        return (parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture),
            Environment.GetEnvironmentVariable("MAILING_TRANSCRIPT_PASSWORD") ?? "secret");
    }

    /// <summary>Puts the three messages into the user's INBOX directly (not recorded).</summary>
    private static async Task AppendAsync(string host, int port, string user, string password)
    {
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false };
        await imap.ConnectAsync(host, port, SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync(user, password);
        foreach (var body in Bodies)
            await imap.Inbox.AppendAsync(new MailKit.AppendRequest(MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)))));
        await imap.DisconnectAsync(quit: true);
    }

    private static async Task WriteAsync(string file, TranscriptRecorder recorder)
    {
        // Let the proxy write down the last lines (LOGOUT, QUIT) before reading them.
        await Task.Delay(500);
        var folder = Environment.GetEnvironmentVariable("MAILING_TRANSCRIPT_OUT") ?? Path.GetTempPath();
        await File.WriteAllTextAsync(Path.Combine(folder, file), recorder.Text);
    }
}
