using BenchmarkDotNet.Attributes;
using MailKit.Security;
using Mailing.Toolkit.Benchmarks.Infrastructure;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// The same three variants against a real Postfix that requires STARTTLS and SMTP AUTH, so the naive
/// client pays a TLS handshake and an AUTH exchange per message. Postfix does far more work per message
/// than smtp-sink (cleanup, queue file, qmgr, discard) on the same 2 cores, so a run sends fewer messages.
/// </summary>
[Config(typeof(SmtpBenchmarkConfig))]
public class SmtpStartTlsBenchmarks : SmtpSendBenchmarks
{
    private const int Messages = 800;

    private PostfixServer? postfix;

    public SmtpStartTlsBenchmarks()
        : base(Messages)
    {
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "(a) new SmtpClient per message")]
    public Task ClientPerMessage() => SendWithClientPerMessageAsync();

    [Benchmark(OperationsPerInvoke = Messages, Description = "(b) raw MailKit, 8 persistent clients")]
    public Task PersistentClients() => SendWithPersistentClientsAsync();

    [Benchmark(OperationsPerInvoke = Messages, Description = "(c) pooled IMailSender")]
    public Task PooledSender() => SendWithPooledSenderAsync();

    private protected override async Task<SmtpTarget> StartServerAsync()
    {
        postfix = await PostfixServer.StartAsync();
        return new SmtpTarget(PostfixServer.Host, postfix.Port, SecureSocketOptions.StartTls, PostfixServer.Credentials, postfix.Certificate);
    }

    private protected override async ValueTask StopServerAsync()
    {
        if (postfix is not null)
            await postfix.DisposeAsync();
    }
}
