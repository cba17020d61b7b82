using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using ServiceProvider = SmtpServer.ComponentModel.ServiceProvider;

namespace Mailing.Toolkit.Tests.Infrastructure;

/// <summary>A message the in-process server accepted.</summary>
internal sealed record ReceivedMessage(string From, IReadOnlyList<string> To, byte[] Data, bool Authenticated)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Data);

    public MimeKit.MimeMessage Parse() => MimeKit.MimeMessage.Load(new MemoryStream(Data));
}

/// <summary>
/// The SmtpServer package on a free loopback port, scripted per test: which recipients it refuses,
/// what it answers to the data, how slowly, whether it offers STARTTLS and AUTH.
/// </summary>
internal sealed class InProcessSmtpServer : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer server;
    private readonly CancellationTokenSource stop = new();
    private readonly Task running;
    private int sessions;
    private int activeSessions;
    private int maxActiveSessions;
    private int dataCount;

    private InProcessSmtpServer(Options options)
    {
        Port = FreePort.Next();
        var builder = new SmtpServerOptionsBuilder().ServerName("localhost");
        builder.Endpoint(endpoint =>
        {
            endpoint.Endpoint(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Port));
            if (options.Certificate is not null)
                endpoint.Certificate(options.Certificate);
            endpoint.AllowUnsecureAuthentication(false);
            endpoint.AuthenticationRequired(options.Password is not null);
        });

        var services = new ServiceProvider();
        services.Add(new DelegatingMailboxFilter((IMailbox to, IMailbox from) => options.Refuse is null || !options.Refuse(to.AsAddress())));
        services.Add(new Store(this, options));
        if (options.Password is not null)
        {
            services.Add(new DelegatingUserAuthenticator((user, password) =>
            {
                AuthAttempts.Add((user, password));
                return user == options.UserName && password == options.Password;
            }));
        }

        server = new SmtpServer.SmtpServer(builder.Build(), services);
        server.SessionCreated += (_, _) =>
        {
            Interlocked.Increment(ref sessions);
            var now = Interlocked.Increment(ref activeSessions);
            int max;
            while (now > (max = Volatile.Read(ref maxActiveSessions)) && Interlocked.CompareExchange(ref maxActiveSessions, now, max) != max)
            {
            }
        };
        server.SessionCompleted += (_, _) => Interlocked.Decrement(ref activeSessions);
        server.SessionFaulted += (_, _) => Interlocked.Decrement(ref activeSessions);
        server.SessionCancelled += (_, _) => Interlocked.Decrement(ref activeSessions);
        running = server.StartAsync(stop.Token);
    }

    public int Port { get; }

    public ConcurrentQueue<ReceivedMessage> Messages { get; } = new();

    public ConcurrentBag<(string User, string Password)> AuthAttempts { get; } = new();

    /// <summary>Connections opened so far.</summary>
    public int Sessions => Volatile.Read(ref sessions);

    /// <summary>Connections open right now.</summary>
    public int ActiveSessions => Volatile.Read(ref activeSessions);

    /// <summary>The most connections open at the same time.</summary>
    public int MaxConcurrentSessions => Volatile.Read(ref maxActiveSessions);

    /// <summary>DATA transactions seen, including refused ones.</summary>
    public int DataCount => Volatile.Read(ref dataCount);

    public static InProcessSmtpServer Start(Action<Options>? configure = null)
    {
        var options = new Options();
        configure?.Invoke(options);
        return new InProcessSmtpServer(options);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        server.Shutdown();
        try
        {
            await running.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }

        stop.Dispose();
    }

    internal sealed class Options
    {
        /// <summary>Refuse RCPT TO for these addresses (550).</summary>
        public Func<string, bool>? Refuse { get; set; }

        /// <summary>The reply to the n-th DATA (1-based); null accepts.</summary>
        public Func<int, SmtpResponse?>? DataReply { get; set; }

        /// <summary>A delay before answering DATA.</summary>
        public TimeSpan DataDelay { get; set; }

        /// <summary>Offer STARTTLS with this certificate.</summary>
        public X509Certificate2? Certificate { get; set; }

        public string? UserName { get; set; }

        /// <summary>Require AUTH with these credentials (only over TLS).</summary>
        public string? Password { get; set; }
    }

    private sealed class Store(InProcessSmtpServer owner, Options options) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref owner.dataCount);
            if (options.DataDelay > TimeSpan.Zero)
                await Task.Delay(options.DataDelay, cancellationToken);
            var reply = options.DataReply?.Invoke(n);
            if (reply is not null)
                return reply;

            owner.Messages.Enqueue(new ReceivedMessage(
                transaction.From?.AsAddress() ?? string.Empty,
                transaction.To.Select(t => t.AsAddress()).ToArray(),
                buffer.ToArray(),
                context.Authentication.IsAuthenticated));
            return SmtpResponse.Ok;
        }
    }
}
