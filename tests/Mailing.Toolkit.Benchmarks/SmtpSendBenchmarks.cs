using BenchmarkDotNet.Attributes;
using MailKit.Net.Smtp;
using Mailing.Toolkit.Benchmarks.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// What the SMTP throughput suites share: a server started once per benchmark process, 8 concurrent
/// callers, and the three ways of sending: (a) a new MailKit client per message, (b) 8 persistent
/// MailKit clients, one per caller, and (c) the pooled <see cref="IMailSender"/> with 8 connections.
/// Every variant is set up in every process, so they can also be run side by side (see InterleavedRunner).
/// </summary>
public abstract class SmtpSendBenchmarks
{
    protected const int Callers = 8;

    private SmtpClient[] rawClients = [];
    private ServiceProvider? provider;

    protected SmtpSendBenchmarks(int messages) => Load = new ConcurrentCallers(Callers, messages);

    private protected ConcurrentCallers Load { get; }

    private protected SmtpTarget Target { get; private set; } = null!;

    private protected IMailSender Sender { get; private set; } = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        try
        {
            Target = await StartServerAsync();
            Console.WriteLine($"// Server {Target}, {Load.Callers} callers x {Load.MessagesPerCaller} messages of {BenchMessages.WireSize(Load.Messages[0])} bytes");
            rawClients = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Target.ConnectAsync()));
            provider = Target.CreatePooledSender(maxConnections: Callers);
            Sender = provider.GetRequiredService<IMailSender>();
            // One message per caller at once: the pool opens its 8 connections now, as (b) just did.
            await Task.WhenAll(Load.Messages.Select(message => Sender.SendAsync(message)));
            await OnSetupAsync();
        }
        catch
        {
            // Never leave a server running behind a failed setup.
            await CleanupAsync();
            throw;
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        try
        {
            await OnCleanupAsync();
            foreach (var client in rawClients)
            {
                await client.DisconnectAsync(quit: true);
                client.Dispose();
            }

            rawClients = [];
            if (provider is not null)
                await provider.DisposeAsync();
            provider = null;
        }
        finally
        {
            await StopServerAsync();
        }
    }

    /// <summary>Starts the server and says how to reach it.</summary>
    private protected abstract Task<SmtpTarget> StartServerAsync();

    private protected abstract ValueTask StopServerAsync();

    /// <summary>Extra setup of a derived suite, after the server and the three variants are ready.</summary>
    private protected virtual Task OnSetupAsync() => Task.CompletedTask;

    private protected virtual Task OnCleanupAsync() => Task.CompletedTask;

    /// <summary>(a) A new client per message: connect, (STARTTLS, AUTH,) send, QUIT.</summary>
    private protected Task SendWithClientPerMessageAsync() =>
        Load.RunAsync(caller => Target.SendWithNewClientAsync(Load.Messages[caller]));

    /// <summary>(b) Hand-written MailKit: caller i always sends over its own connected client i.</summary>
    private protected Task SendWithPersistentClientsAsync() =>
        Load.RunAsync(caller => rawClients[caller].SendAsync(Load.Messages[caller]));

    /// <summary>(c) The library: every caller just calls IMailSender.SendAsync.</summary>
    private protected Task SendWithPooledSenderAsync() =>
        Load.RunAsync(caller => Sender.SendAsync(Load.Messages[caller]));
}
