using BenchmarkDotNet.Attributes;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mailing.Toolkit.Benchmarks.Infrastructure;
using Mailing.Toolkit.Sending;
using Mailing.Toolkit.Sending.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// Where (c) spends the time it takes beyond (b): the smtp-sink load, adding the pooled sender's layers
/// one at a time (its internal types are visible to this assembly). Not part of the '*Smtp*' tables.
/// </summary>
[Config(typeof(SmtpBenchmarkConfig))]
public class PooledSenderBreakdownBenchmarks : SmtpSendBenchmarks
{
    private const int Messages = 4000;

    private readonly MailboxAddress from = MailboxAddress.Parse(BenchMessages.From);
    private readonly MailboxAddress[] to = [MailboxAddress.Parse(BenchMessages.To)];
    private SmtpSinkServer? sink;
    private PooledSmtpClient[] pooledClients = [];
    private SmtpConnectionPool? pool;
    private MailEnvelope envelope = null!;

    public PooledSenderBreakdownBenchmarks()
        : base(Messages)
    {
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "(b) raw MailKit, 8 persistent clients")]
    public Task PersistentClients() => SendWithPersistentClientsAsync();

    [Benchmark(OperationsPerInvoke = Messages, Description = "PooledSmtpClient + wire logger, explicit envelope")]
    public Task PooledClients() => Load.RunAsync(caller =>
    {
        var client = pooledClients[caller];
        client.BeginMessage();
        return client.SendAsync(FormatOptions.Default, Load.Messages[caller], from, to);
    });

    [Benchmark(OperationsPerInvoke = Messages, Description = "+ SmtpConnectionPool rent/return")]
    public Task PoolRentReturn() => Load.RunAsync(async caller =>
    {
        var client = await pool!.RentAsync(CancellationToken.None);
        client.BeginMessage();
        await client.SendAsync(FormatOptions.Default, Load.Messages[caller], from, to);
        client.MessagesSent++;
        pool.Return(client, reusable: true);
    });

    [Benchmark(OperationsPerInvoke = Messages, Description = "(c) pooled IMailSender")]
    public Task PooledSender() => SendWithPooledSenderAsync();

    [Benchmark(OperationsPerInvoke = Messages, Description = "(c) with a MailEnvelope built once")]
    public Task PooledSenderWithEnvelope() => Load.RunAsync(caller => Sender.SendAsync(Load.Messages[caller], envelope));

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

    private protected override async Task OnSetupAsync()
    {
        var endpoint = new SmtpServerEndpoint { Host = Target.Host, Port = Target.Port, Security = SecureSocketOptions.None };
        pooledClients = new PooledSmtpClient[Callers];
        for (var i = 0; i < Callers; i++)
        {
            pooledClients[i] = new PooledSmtpClient(new SmtpWireLogger(NullLogger.Instance), endpoint, localDomain: null);
            await pooledClients[i].ConnectAsync(Target.Host, Target.Port, SecureSocketOptions.None);
        }

        var options = new SmtpSenderOptions { Host = Target.Host, Port = Target.Port, Security = SecureSocketOptions.None, MaxConnections = Callers, MaxMessagesPerConnection = 100_000 };
        pool = new SmtpConnectionPool(null, options, TimeProvider.System, new SendingTelemetry(new MailingInstrumentation()), NullLoggerFactory.Instance);
        envelope = MailEnvelope.FromMessage(Load.Messages[0]);
    }

    private protected override async Task OnCleanupAsync()
    {
        foreach (SmtpClient client in pooledClients)
        {
            await client.DisconnectAsync(quit: true);
            client.Dispose();
        }

        pooledClients = [];
        if (pool is not null)
            await pool.DisposeAsync();
        pool = null;
    }
}
