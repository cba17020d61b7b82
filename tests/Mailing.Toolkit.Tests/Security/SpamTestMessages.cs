using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace Mailing.Toolkit.Tests.Security;

internal static class SpamTestMessages
{
    public const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    public static MimeMessage Create(string body = "Hello Bob,\nlunch on Thursday?\nAlice", string messageId = "lunch-1@example.com")
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice", "alice@example.com"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.org"));
        message.Subject = "Lunch";
        message.MessageId = messageId;
        message.Date = new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }
}

/// <summary>
/// A loopback TCP server that plays spamd for one connection at a time: it reads the request (headers, then
/// Content-length bytes), records it, and answers with the scripted bytes, or keeps silent.
/// </summary>
internal sealed class ScriptedSpamd : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public ScriptedSpamd(Func<string, byte[]?> reply)
    {
        listener.Start();
        loop = Task.Run(() => RunAsync(reply));
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>The requests received, header block and body as text.</summary>
    public List<string> Requests { get; } = [];

    public static ScriptedSpamd Answering(string reply) => new(_ => Encoding.UTF8.GetBytes(reply));

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await loop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        stop.Dispose();
    }

    private async Task RunAsync(Func<string, byte[]?> reply)
    {
        while (!stop.IsCancellationRequested)
        {
            using var client = await listener.AcceptTcpClientAsync(stop.Token);
            var stream = client.GetStream();
            var request = await ReadRequestAsync(stream, stop.Token);
            lock (Requests)
                Requests.Add(request);
            var answer = reply(request);
            if (answer is null)
            {
                // Silent: hold the connection until the test ends.
                await Task.Delay(Timeout.Infinite, stop.Token);
                continue;
            }

            await stream.WriteAsync(answer, stop.Token);
            client.Client.Shutdown(SocketShutdown.Send);
        }
    }

    private static async Task<string> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var data = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            var text = Encoding.UTF8.GetString(data.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var lengthLine = text[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (data.Length >= end + 4 + length)
                    return text;
            }

            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
                return Encoding.UTF8.GetString(data.ToArray());
            data.Write(buffer, 0, read);
        }
    }
}
