using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Mailing.Toolkit.Tests.Infrastructure;

/// <summary>What the scripted server does with one message's data.</summary>
internal enum DataAction
{
    /// <summary>Read it all and answer 250.</summary>
    Accept,

    /// <summary>Read a little of the data, then reset the connection (the client is still writing).</summary>
    DropMidData,

    /// <summary>Read the whole data including the final dot, then close without answering.</summary>
    DropAfterEndOfData,

    /// <summary>Accept, then close the connection as a server does when a session sits idle too long.</summary>
    AcceptThenCloseIdle,
}

/// <summary>
/// A hand-written SMTP server for protocol edge cases the SmtpServer package cannot produce: a connection
/// dropped in the middle of DATA or right after the final dot, a server closing an idle pooled connection,
/// XOAUTH2 with expiring tokens. It speaks just enough SMTP for MailKit, with STARTTLS on request.
/// </summary>
internal sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private readonly Func<int, DataAction> onData;
    private readonly Func<string, bool>? acceptToken;
    private readonly ConcurrentBag<Task> sessions = [];
    private int connections;
    private int messages;

    private ScriptedSmtpServer(Func<int, DataAction> onData, Func<string, bool>? acceptToken)
    {
        this.onData = onData;
        this.acceptToken = acceptToken;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        accepting = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref connections);

    /// <summary>DATA commands answered with 354 so far.</summary>
    public int DataTransfers => Volatile.Read(ref messages);

    /// <summary>Messages answered with 250.</summary>
    public ConcurrentQueue<string> Accepted { get; } = new();

    /// <summary>Every XOAUTH2 token presented.</summary>
    public ConcurrentQueue<string> Tokens { get; } = new();

    /// <param name="onData">What to do with the n-th message (1-based, across connections).</param>
    /// <param name="acceptToken">Offer STARTTLS and AUTH XOAUTH2, accepting the tokens this returns true for.</param>
    public static ScriptedSmtpServer Start(Func<int, DataAction> onData, Func<string, bool>? acceptToken = null) => new(onData, acceptToken);

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
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            var io = new LineIO(stream);
            await io.WriteAsync("220 localhost scripted ESMTP");
            while (await io.ReadLineAsync() is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        var extensions = new List<string> { "250-localhost", "250-8BITMIME" };
                        if (acceptToken is not null)
                            extensions.Add(stream is SslStream ? "250-AUTH XOAUTH2" : "250-STARTTLS");
                        extensions.Add("250 ENHANCEDSTATUSCODES");
                        await io.WriteAsync(string.Join("\r\n", extensions));
                        break;
                    case "STARTTLS":
                        await io.WriteAsync("220 2.0.0 Ready to start TLS");
                        var ssl = new SslStream(stream);
                        await ssl.AuthenticateAsServerAsync(TestCertificates.Localhost);
                        stream = ssl;
                        io = new LineIO(stream);
                        break;
                    case "AUTH":
                        var token = Encoding.UTF8.GetString(Convert.FromBase64String(line.Split(' ')[2]));
                        var bearer = token.Split('\x01').First(p => p.StartsWith("auth=Bearer ", StringComparison.Ordinal))["auth=Bearer ".Length..];
                        Tokens.Enqueue(bearer);
                        if (acceptToken!(bearer))
                        {
                            await io.WriteAsync("235 2.7.0 Accepted");
                        }
                        else
                        {
                            // XOAUTH2 failure: an error challenge, then 535 once the client answers it.
                            await io.WriteAsync("334 eyJzdGF0dXMiOiI0MDEifQ==");
                            await io.ReadLineAsync();
                            await io.WriteAsync("535 5.7.8 Token expired");
                        }

                        break;
                    case "MAIL":
                    case "RCPT":
                    case "RSET":
                    case "NOOP":
                        await io.WriteAsync("250 2.0.0 OK");
                        break;
                    case "DATA":
                        var n = Interlocked.Increment(ref messages);
                        var action = onData(n);
                        await io.WriteAsync("354 End data with <CR><LF>.<CR><LF>");
                        if (action == DataAction.DropMidData)
                        {
                            await io.ReadBytesAsync(4096);
                            socket.LingerState = new LingerOption(true, 0);
                            return;
                        }

                        var data = await io.ReadDataAsync();
                        if (action == DataAction.DropAfterEndOfData)
                            return;
                        Accepted.Enqueue(data);
                        await io.WriteAsync($"250 2.0.0 Ok: queued as M{n}");
                        if (action == DataAction.AcceptThenCloseIdle)
                            return;
                        break;
                    case "QUIT":
                        await io.WriteAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await io.WriteAsync("502 5.5.2 Command not recognized");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
        }
        finally
        {
            await stream.DisposeAsync();
            socket.Dispose();
        }
    }

    /// <summary>Byte-exact line reading over a stream that may switch to TLS.</summary>
    private sealed class LineIO(Stream stream)
    {
        private readonly byte[] buffer = new byte[64 * 1024];
        private int start;
        private int end;

        public async Task WriteAsync(string reply)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"));
            await stream.FlushAsync();
        }

        public async Task<string?> ReadLineAsync()
        {
            var line = new MemoryStream();
            while (true)
            {
                if (start == end && !await FillAsync())
                    return null;
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                var stop = newline < 0 ? end : newline + 1;
                line.Write(buffer, start, stop - start);
                start = stop;
                if (newline >= 0)
                    return Encoding.UTF8.GetString(line.ToArray()).TrimEnd('\r', '\n');
            }
        }

        public async Task<string> ReadDataAsync()
        {
            var data = new StringBuilder();
            while (await ReadLineAsync() is { } line && line != ".")
                data.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
            return data.ToString();
        }

        public async Task ReadBytesAsync(int count)
        {
            var read = 0;
            while (read < count)
            {
                if (start == end && !await FillAsync())
                    return;
                var take = Math.Min(count - read, end - start);
                start += take;
                read += take;
            }
        }

        private async Task<bool> FillAsync()
        {
            start = 0;
            end = await stream.ReadAsync(buffer);
            return end > 0;
        }
    }
}
