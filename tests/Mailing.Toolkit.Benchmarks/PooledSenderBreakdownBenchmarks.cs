using BenchmarkDotNet.Attributes;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mailing.Toolkit.Benchmarks.Infrastructure;
using Mailing.Toolkit.Sending;
using Mailing.Toolkit.Sending.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// Where (c) spends the time it takes beyond (b): the same 4,000-message load against smtp-sink, adding the
/// sender's layers one at a time. Not part of the '*Smtp*' tables; run with --filter '*Breakdown*'.
/// </summary>
[Config(typeof(SmtpBenchmarkConfig))]
public class PooledSenderBreakdownBenchmarks
{
    private const int Callers = 8;
    private const int Messages = 4000;

    private readonly ConcurrentCallers load = new(Callers, Messages);
    private SmtpSinkServer? sink;
    private SmtpTarget target = null!;
    private SmtpClient[] rawClients = [];
    private PooledSmtpClient[] pooledClients = [];
    private SmtpConnectionPool? pool;
    private ServiceProvider? provider;
    private IMailSender sender = null!;
    private MailboxAddress from = null!;
    private MailboxAddress[] to = [];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        sink = await SmtpSinkServer.StartAsync();
        target = new SmtpTarget(SmtpSinkServer.Host, sink.Port, SecureSocketOptions.None);
        rawClients = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => target.ConnectAsync()));
        var endpoint = new SmtpServerEndpoint { Host = target.Host, Port = target.Port, Security = SecureSocketOptions.None };
        pooledClients = new PooledSmtpClient[Callers];
        for (var i = 0; i < Callers; i++)
        {
            pooledClients[i] = new PooledSmtpClient(new SmtpWireLogger(NullLogger.Instance), endpoint);
            await pooledClients[i].ConnectAsync(target.Host, target.Port, SecureSocketOptions.None);
        }

        var options = new SmtpSenderOptions { Host = target.Host, Port = target.Port, Security = SecureSocketOptions.None, MaxConnections = Callers, MaxMessagesPerConnection = 100_000 };
        pool = new SmtpConnectionPool(null, options, TimeProvider.System, new SendingTelemetry(), NullLoggerFactory.Instance);
        provider = target.CreatePooledSender(Callers);
        sender = provider.GetRequiredService<IMailSender>();
        from = MailboxAddress.Parse(BenchMessages.From);
        to = [MailboxAddress.Parse(BenchMessages.To)];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var client in rawClients.Concat<SmtpClient>(pooledClients))
        {
            await client.DisconnectAsync(quit: true);
            client.Dispose();
        }

        if (pool is not null)
            await pool.DisposeAsync();
        if (provider is not null)
            await provider.DisposeAsync();
        if (sink is not null)
            await sink.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "(b) raw MailKit SmtpClient")]
    public Task Raw() => load.RunAsync(caller => rawClients[caller].SendAsync(load.Messages[caller]));

    [Benchmark(OperationsPerInvoke = Messages, Description = "PooledSmtpClient + wire logger, explicit envelope")]
    public Task PooledClient() => load.RunAsync(caller =>
    {
        var client = pooledClients[caller];
        client.BeginMessage();
        return client.SendAsync(FormatOptions.Default, load.Messages[caller], from, to);
    });

    [Benchmark(OperationsPerInvoke = Messages, Description = "+ SmtpConnectionPool rent/return")]
    public Task PoolRentReturn() => load.RunAsync(async caller =>
    {
        var client = await pool!.RentAsync(CancellationToken.None);
        client.BeginMessage();
        await client.SendAsync(FormatOptions.Default, load.Messages[caller], from, to);
        client.MessagesSent++;
        pool.Return(client, reusable: true);
    });

    [Benchmark(OperationsPerInvoke = Messages, Description = "(c) IMailSender (+ pipeline, telemetry, result)")]
    public Task Sender() => load.RunAsync(caller => sender.SendAsync(load.Messages[caller]));
}
