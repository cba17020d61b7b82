using BenchmarkDotNet.Attributes;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mailing.Toolkit.Benchmarks.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// The same three variants against a real Postfix with required STARTTLS and SMTP AUTH, where the naive
/// client pays a TLS handshake and an AUTH exchange per message. Postfix does far more work per message
/// than smtp-sink (queue file, cleanup, qmgr, discard) on the same 2 cores, so this table sends fewer
/// messages per invocation.
/// </summary>
[Config(typeof(SmtpBenchmarkConfig))]
public class SmtpStartTlsBenchmarks
{
    private const int Callers = 8;
    private const int Messages = 1000;

    private readonly ConcurrentCallers load = new(Callers, Messages);
    private PostfixServer? postfix;
    private SmtpTarget target = null!;
    private SmtpClient[] rawClients = [];
    private ServiceProvider? provider;
    private IMailSender sender = null!;

    [GlobalSetup(Target = nameof(NaiveClientPerMessage))]
    public Task SetupNaiveAsync() => StartPostfixAsync();

    [GlobalSetup(Target = nameof(RawMailKitPersistentClients))]
    public async Task SetupRawAsync()
    {
        await StartPostfixAsync();
        rawClients = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => target.ConnectAsync()));
    }

    [GlobalSetup(Target = nameof(PooledMailSender))]
    public async Task SetupPooledAsync()
    {
        await StartPostfixAsync();
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
        if (postfix is not null)
            await postfix.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "(a) new SmtpClient per message")]
    public Task NaiveClientPerMessage() => load.RunAsync(caller => target.SendWithNewClientAsync(load.Messages[caller]));

    [Benchmark(OperationsPerInvoke = Messages, Description = "(b) raw MailKit, 8 persistent clients")]
    public Task RawMailKitPersistentClients() => load.RunAsync(caller => rawClients[caller].SendAsync(load.Messages[caller]));

    [Benchmark(OperationsPerInvoke = Messages, Description = "(c) pooled IMailSender")]
    public Task PooledMailSender() => load.RunAsync(caller => sender.SendAsync(load.Messages[caller]));

    private async Task StartPostfixAsync()
    {
        postfix = await PostfixServer.StartAsync();
        target = new SmtpTarget(PostfixServer.Host, postfix.Port, SecureSocketOptions.StartTls, PostfixServer.Credentials, postfix.Certificate);
        Console.WriteLine($"// Postfix on {target}; message size {BenchMessages.WireSize(load.Messages[0])} bytes");
    }
}
