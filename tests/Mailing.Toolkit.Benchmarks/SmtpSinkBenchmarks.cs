using BenchmarkDotNet.Attributes;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mailing.Toolkit.Benchmarks.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// 4,000 messages of about 2 KB from 8 concurrent callers to smtp-sink on loopback, plaintext:
/// (a) a new MailKit client per message, (b) 8 persistent MailKit clients, (c) the pooled IMailSender.
/// </summary>
[Config(typeof(SmtpBenchmarkConfig))]
public class SmtpSinkBenchmarks
{
    private const int Callers = 8;
    private const int Messages = 4000;

    private readonly ConcurrentCallers load = new(Callers, Messages);
    private SmtpSinkServer? sink;
    private SmtpTarget target = null!;
    private SmtpClient[] rawClients = [];
    private ServiceProvider? provider;
    private IMailSender sender = null!;

    [GlobalSetup(Target = nameof(NaiveClientPerMessage))]
    public Task SetupNaiveAsync() => StartSinkAsync();

    [GlobalSetup(Target = nameof(RawMailKitPersistentClients))]
    public async Task SetupRawAsync()
    {
        await StartSinkAsync();
        rawClients = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => target.ConnectAsync()));
    }

    [GlobalSetup(Target = nameof(PooledMailSender))]
    public async Task SetupPooledAsync()
    {
        await StartSinkAsync();
        provider = target.CreatePooledSender(maxConnections: Callers);
        sender = provider.GetRequiredService<IMailSender>();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var client in rawClients)
        {
            await client.DisconnectAsync(quit: true);
            client.Dispose();
        }

        if (provider is not null)
            await provider.DisposeAsync();
        if (sink is not null)
            await sink.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "(a) new SmtpClient per message")]
    public Task NaiveClientPerMessage() => load.RunAsync(caller => target.SendWithNewClientAsync(load.Messages[caller]));

    [Benchmark(OperationsPerInvoke = Messages, Description = "(b) raw MailKit, 8 persistent clients")]
    public Task RawMailKitPersistentClients() => load.RunAsync(caller => rawClients[caller].SendAsync(load.Messages[caller]));

    [Benchmark(OperationsPerInvoke = Messages, Description = "(c) pooled IMailSender")]
    public Task PooledMailSender() => load.RunAsync(caller => sender.SendAsync(load.Messages[caller]));

    private async Task StartSinkAsync()
    {
        sink = await SmtpSinkServer.StartAsync();
        target = new SmtpTarget(SmtpSinkServer.Host, sink.Port, SecureSocketOptions.None);
        Console.WriteLine($"// smtp-sink on {target}; message size {BenchMessages.WireSize(load.Messages[0])} bytes");
    }
}
