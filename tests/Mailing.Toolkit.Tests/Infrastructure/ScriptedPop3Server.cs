using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Mailing.Toolkit.Tests.Infrastructure;

/// <summary>
/// A hand-written POP3 server over TLS (SSL-on-connect, the <see cref="TestCertificates.Localhost"/> certificate) for
/// what Dovecot cannot easily be made to do: OAuth2 tokens that expire, chosen SASL mechanisms. It speaks just enough
/// POP3 for MailKit (CAPA, AUTH PLAIN/XOAUTH2/OAUTHBEARER, USER/PASS, STAT, UIDL, LIST, RETR, DELE, NOOP, QUIT) and
/// records what it was sent. Any user logs in with <see cref="Password"/>; a token logs in when the predicate says so.
/// </summary>
internal sealed class ScriptedPop3Server : IAsyncDisposable
{
    public const string Password = "pop3-secret-password";

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentBag<Task> sessions = [];
    private readonly Task accepting;
    private readonly string[] mechanisms;
    private readonly Func<string, bool> acceptToken;
    private int connections;

    private ScriptedPop3Server(string[] mechanisms, Func<string, bool>? acceptToken, IReadOnlyList<(string Uid, string Content)> messages)
    {
        this.mechanisms = mechanisms;
        this.acceptToken = acceptToken ?? (_ => false);
        Messages = messages;
        listener.Start();
        accepting = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref connections);

    public IReadOnlyList<(string Uid, string Content)> Messages { get; }

    /// <summary>Every bearer token presented (XOAUTH2 or OAUTHBEARER).</summary>
    public ConcurrentQueue<string> Tokens { get; } = new();

    /// <summary>The user names that logged in.</summary>
    public ConcurrentQueue<string> Logins { get; } = new();

    /// <param name="mechanisms">The SASL mechanisms CAPA offers; none means USER/PASS only.</param>
    /// <param name="acceptToken">Which bearer tokens log in.</param>
    /// <param name="messages">The maildrop every session sees.</param>
    public static ScriptedPop3Server Start(string[] mechanisms, Func<string, bool>? acceptToken = null, params (string Uid, string Content)[] messages) =>
        new(mechanisms, acceptToken, messages);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(sessions).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var socket = await listener.AcceptSocketAsync(stop.Token);
            Interlocked.Increment(ref connections);
            sessions.Add(Task.Run(() => SessionAsync(socket)));
        }
    }

    private async Task SessionAsync(Socket socket)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            await ssl.AuthenticateAsServerAsync(TestCertificates.Localhost);
            var reader = new StreamReader(ssl, Encoding.ASCII);
            async Task Write(string text)
            {
                await ssl.WriteAsync(Encoding.ASCII.GetBytes(text));
                await ssl.FlushAsync();
            }

            await Write("+OK scripted POP3 ready\r\n");
            var authenticated = false;
            string? user = null;
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                var parts = line.Split(' ');
                switch (parts[0].ToUpperInvariant())
                {
                    case "CAPA":
                        var capabilities = new StringBuilder("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n");
                        if (mechanisms.Length > 0 && !authenticated)
                            capabilities.Append("SASL ").Append(string.Join(' ', mechanisms)).Append("\r\n");
                        await Write(capabilities.Append(".\r\n").ToString());
                        break;
                    case "AUTH" when parts.Length >= 2 && mechanisms.Contains(parts[1], StringComparer.OrdinalIgnoreCase):
                        var response = parts.Length >= 3 ? parts[2] : null;
                        if (response is null)
                        {
                            await Write("+ \r\n");
                            response = await reader.ReadLineAsync(stop.Token) ?? string.Empty;
                        }

                        authenticated = Authenticate(parts[1].ToUpperInvariant(), Encoding.UTF8.GetString(Convert.FromBase64String(response)));
                        await Write(authenticated ? "+OK Logged in.\r\n" : "-ERR [AUTH] Authentication failed.\r\n");
                        break;
                    case "USER":
                        user = parts.Length > 1 ? parts[1] : null;
                        await Write("+OK\r\n");
                        break;
                    case "PASS":
                        authenticated = user is not null && line.Length > 5 && line[5..] == Password;
                        if (authenticated)
                            Logins.Enqueue(user!);
                        await Write(authenticated ? "+OK Logged in.\r\n" : "-ERR [AUTH] Authentication failed.\r\n");
                        break;
                    case "STAT" when authenticated:
                        await Write($"+OK {Messages.Count} {Messages.Sum(m => Bytes(m.Content).Length)}\r\n");
                        break;
                    case "UIDL" when authenticated:
                        await Write("+OK\r\n" + string.Concat(Messages.Select((m, i) => $"{i + 1} {m.Uid}\r\n")) + ".\r\n");
                        break;
                    case "LIST" when authenticated:
                        await Write("+OK\r\n" + string.Concat(Messages.Select((m, i) => $"{i + 1} {Bytes(m.Content).Length}\r\n")) + ".\r\n");
                        break;
                    case "RETR" when authenticated && int.TryParse(parts[1], out var n) && n >= 1 && n <= Messages.Count:
                        var content = Messages[n - 1].Content;
                        // Dot-stuffing: a line that starts with a dot gets a second one.
                        var stuffed = string.Join("\r\n", content.Split("\r\n").Select(l => l.StartsWith('.') ? "." + l : l));
                        await Write($"+OK {Bytes(content).Length} octets\r\n{stuffed}{(stuffed.EndsWith("\r\n", StringComparison.Ordinal) ? "" : "\r\n")}.\r\n");
                        break;
                    case "DELE" when authenticated:
                    case "NOOP":
                        await Write("+OK\r\n");
                        break;
                    case "QUIT":
                        await Write("+OK Bye\r\n");
                        return;
                    default:
                        await Write("-ERR not here\r\n");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
        }
        finally
        {
            await ssl.DisposeAsync();
        }
    }

    private bool Authenticate(string mechanism, string response)
    {
        if (mechanism == "PLAIN")
        {
            // authzid NUL authcid NUL password
            var fields = response.Split('\0');
            var ok = fields.Length == 3 && fields[2] == Password;
            if (ok)
                Logins.Enqueue(fields[1]);
            return ok;
        }

        // XOAUTH2: user=...^Aauth=Bearer t^A^A; OAUTHBEARER: n,a=...,^Ahost=...^Aport=...^Aauth=Bearer t^A^A
        var fieldsOf = response.Split('\x01');
        var token = fieldsOf.First(f => f.StartsWith("auth=Bearer ", StringComparison.Ordinal))["auth=Bearer ".Length..];
        Tokens.Enqueue(token);
        var accepted = acceptToken(token);
        if (accepted)
        {
            var name = mechanism == "XOAUTH2" ? fieldsOf[0]["user=".Length..] : fieldsOf[0].Split(',')[1]["a=".Length..];
            Logins.Enqueue(name);
        }

        return accepted;
    }

    private static byte[] Bytes(string content) => Encoding.UTF8.GetBytes(content);
}
