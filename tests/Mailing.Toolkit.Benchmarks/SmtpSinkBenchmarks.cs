using BenchmarkDotNet.Attributes;
using MailKit.Security;
using Mailing.Toolkit.Benchmarks.Infrastructure;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>4,000 messages of about 2 KB from 8 concurrent callers to smtp-sink on loopback, plaintext.</summary>
[Config(typeof(SmtpBenchmarkConfig))]
public class SmtpSinkBenchmarks : SmtpSendBenchmarks
{
    private const int Messages = 4000;

    private SmtpSinkServer? sink;

    public SmtpSinkBenchmarks()
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
        sink = await SmtpSinkServer.StartAsync();
        return new SmtpTarget(SmtpSinkServer.Host, sink.Port, SecureSocketOptions.None);
    }

    private protected override async ValueTask StopServerAsync()
    {
        if (sink is not null)
            await sink.DisposeAsync();
    }
}
