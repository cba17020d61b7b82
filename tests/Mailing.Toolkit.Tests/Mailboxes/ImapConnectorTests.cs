using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit.Security;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Mailboxes;
using Mailing.Toolkit.Mailboxes.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mailing.Toolkit.Tests.Mailboxes;

public sealed class ImapConnectorTests
{
    [Fact]
    public async Task ConnectAsync_ServerWithoutStartTlsAndStartTlsWhenAvailable_NeverSendsCredentials()
    {
        await using var server = PlaintextImapServer.Start();
        var connector = new ImapConnector(
            new ImapOptions { Host = "127.0.0.1", Port = server.Port, Security = SecureSocketOptions.StartTlsWhenAvailable, UserName = "alice", Password = "pw" },
            NullLoggerFactory.Instance);

        var ex = await Assert.ThrowsAnyAsync<AuthenticationException>(() => connector.ConnectAsync(CancellationToken.None));

        Assert.Contains("over an unencrypted connection", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'alice'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Received, line => line.Contains("AUTHENTICATE", StringComparison.OrdinalIgnoreCase) || line.Contains("LOGIN", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Manager_PlaintextRefused_ThrowsMailboxExceptionWithTheCause()
    {
        await using var server = PlaintextImapServer.Start();
        var connector = new ImapConnector(
            new ImapOptions { Host = "127.0.0.1", Port = server.Port, Security = SecureSocketOptions.StartTlsWhenAvailable, UserName = "alice", Password = "pw" },
            NullLoggerFactory.Instance);
        await using var manager = new ImapMailboxManager(connector, TimeProvider.System, NullLogger<ImapMailboxManager>.Instance);

        var ex = await Assert.ThrowsAsync<MailboxException>(() => manager.ListFoldersAsync());

        Assert.IsAssignableFrom<AuthenticationException>(ex.InnerException);
        Assert.Contains($"127.0.0.1:{server.Port}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_AutoOnPlainPortWithoutStartTls_FailsInsteadOfFallingBackToPlaintext()
    {
        await using var server = PlaintextImapServer.Start();
        var connector = new ImapConnector(
            new ImapOptions { Host = "127.0.0.1", Port = server.Port, UserName = "alice", Password = "pw" },
            NullLoggerFactory.Instance);

        await Assert.ThrowsAnyAsync<Exception>(() => connector.ConnectAsync(CancellationToken.None));

        Assert.DoesNotContain(server.Received, line => line.Contains("AUTHENTICATE", StringComparison.OrdinalIgnoreCase) || line.Contains("LOGIN", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>An IMAP server that offers neither STARTTLS nor anything else, and records what it was sent.</summary>
    private sealed class PlaintextImapServer : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private readonly Task loop;

        private PlaintextImapServer()
        {
            listener.Start();
            loop = ServeAsync();
        }

        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        public ConcurrentQueue<string> Received { get; } = new();

        public static PlaintextImapServer Start() => new();

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            try
            {
                await loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
            {
            }

            stop.Dispose();
        }

        private async Task ServeAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                using var socket = await listener.AcceptTcpClientAsync(stop.Token);
                var stream = socket.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII);
                await Write(stream, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    Received.Enqueue(line);
                    var tag = line.Split(' ')[0];
                    if (line.Contains("CAPABILITY", StringComparison.OrdinalIgnoreCase))
                        await Write(stream, $"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n");
                    else if (line.Contains("LOGOUT", StringComparison.OrdinalIgnoreCase))
                        await Write(stream, $"* BYE\r\n{tag} OK bye\r\n");
                    else
                        await Write(stream, $"{tag} NO not here\r\n");
                }
            }
        }

        private async Task Write(NetworkStream stream, string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text), stop.Token);
    }
}
