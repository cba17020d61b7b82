using System.Net;
using System.Net.Sockets;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>
/// Connecting to a listener whose accept queue is full: Linux drops the SYN, so the connection neither succeeds nor is
/// refused, as with a firewalled or vanished host, and only the connect timeout ends the wait.
/// </summary>
public sealed class SpamConnectTimeoutTests : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> fillers = [];

    public SpamConnectTimeoutTests()
    {
        listener.Start(backlog: 1);
        // Never accepted: these fill the queue.
        for (var i = 0; i < 4; i++)
        {
            var client = new TcpClient();
            fillers.Add(client);
            _ = client.ConnectAsync(IPAddress.Loopback, Port);
        }

        Thread.Sleep(200);
    }

    private int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    [SkippableFact]
    public async Task SpamAssassin_HostThatNeverAnswersTheConnect_FailsAfterTheConnectTimeout()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "a full accept queue drops new connections on Linux only");
        using var provider = Build(b => b.AddSpamAssassin(o => (o.Port, o.ConnectTimeout, o.Timeout) = (Port, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30))));

        var verdict = await provider.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal(SpamVerdictOrigin.Failure, verdict.Origin);
        Assert.Contains("could not connect within Mailing:SpamAssassin:ConnectTimeout (0.3 s)", verdict.Reason, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Rspamd_HostThatNeverAnswersTheConnect_FailsAfterTheConnectTimeout()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "a full accept queue drops new connections on Linux only");
        using var provider = Build(b => b.AddRspamd(o => (o.Url, o.ConnectTimeout, o.Timeout) = (new Uri($"http://127.0.0.1:{Port}"), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30))));

        var verdict = await provider.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal(SpamVerdictOrigin.Failure, verdict.Origin);
        Assert.Contains("could not connect within Mailing:Rspamd:ConnectTimeout (0.3 s)", verdict.Reason, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var client in fillers)
            client.Dispose();
        listener.Stop();
    }

    private static ServiceProvider Build(Action<IMailingBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure(services.AddMailing());
        return services.BuildServiceProvider();
    }
}
