using System.Text;
using Mailing.Toolkit.Net.Internal;
using Mailing.Toolkit.Receiving.Internal;
using Mailing.Toolkit.Tests.Infrastructure;

namespace Mailing.Toolkit.Tests.Receiving;

/// <summary>The POP3 transcript renderer fed recorded exchanges, split at every place a socket read may split them.</summary>
public sealed class Pop3WireLoggerTests
{
    private const string Secret = "CONFIDENTIAL-BODY";

    // Two pipelined RETRs whose messages hold dot-stuffed lines, an empty line and a line that is only "..", around a
    // UIDL listing and a refused RETR.
    private static readonly string[] Client = ["UIDL\r\n", "RETR 1\r\nRETR 2\r\n", "RETR 9\r\n", "TOP 1 0\r\n", "QUIT\r\n"];

    private const string Server =
        "+OK\r\n1 uid-a\r\n2 uid-b\r\n.\r\n" +
        $"+OK 40 octets\r\nSubject: {Secret}\r\n\r\n..{Secret} stuffed\r\n..\r\n.\r\n" +
        $"+OK 20 octets\r\n{Secret}\r\n.\r\n" +
        "-ERR no such message\r\n" +
        $"+OK\r\nSubject: {Secret}\r\n\r\n.\r\n" +
        "+OK Bye\r\n";

    [Fact]
    public void Render_WholeBuffers_LogsStatusLinesAndListingsButOnlyTheSizeOfMessages()
    {
        var (client, server) = Replay(chunk: int.MaxValue);

        Assert.Equal(["UIDL", "RETR 1\r\nRETR 2", "RETR 9", "TOP 1 0", "QUIT"], client);
        var text = string.Join("\n", server);
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.Contains("1 uid-a", text, StringComparison.Ordinal);
        Assert.Contains("-ERR no such message", text, StringComparison.Ordinal);
        Assert.Contains("+OK Bye", text, StringComparison.Ordinal);
        // The first message: its bytes up to the terminating dot line (stuffing included).
        var first = $"Subject: {Secret}\r\n\r\n..{Secret} stuffed\r\n..\r\n";
        Assert.Contains($"<message: {Encoding.ASCII.GetByteCount(first)} bytes>", text, StringComparison.Ordinal);
        Assert.Contains($"<message: {Secret.Length + 2} bytes>", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(16)]
    public void Render_SplitReads_NeverLogsMessageContent(int chunk)
    {
        var (_, server) = Replay(chunk);

        var text = string.Concat(server);
        Assert.DoesNotContain("CONFIDENTIAL", text, StringComparison.Ordinal);
        Assert.DoesNotContain("stuffed", text, StringComparison.Ordinal);
        Assert.Contains("uid-b", text, StringComparison.Ordinal);
        Assert.Contains("+OK Bye", text, StringComparison.Ordinal);
        Assert.Contains("+OK ready", text, StringComparison.Ordinal);
        Assert.Equal(3, server.Count(line => line.Contains("<message: ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Render_AuthExchange_ClientResponsesAreNotTakenForCommands()
    {
        var logs = new CapturingLoggerProvider();
        var logger = new Pop3WireLogger(logs.CreateLogger(Pop3WireLogger.Category));
        Send(logger, client: "AUTH PLAIN\r\n");
        Receive(logger, "+ \r\n");
        // A SASL response that happens to read like a command must not queue a message reply.
        Send(logger, client: "RETR\r\n");
        Receive(logger, "+OK Logged in.\r\n");
        Send(logger, client: "CAPA\r\n");
        Receive(logger, $"+OK\r\nUIDL\r\n.\r\n");
        Send(logger, client: "RETR 1\r\n");
        Receive(logger, $"+OK\r\n{Secret}\r\n.\r\n");

        Assert.DoesNotContain(Secret, logs.AllText, StringComparison.Ordinal);
        Assert.Contains("S: +OK\r\nUIDL\r\n.", logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public void Delay_DoublesUpToTheCapWithJitterInTheUpperHalf()
    {
        var baseDelay = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(10);
        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(ExponentialBackoff.Delay(1, baseDelay, max), TimeSpan.FromMilliseconds(500), baseDelay);
            Assert.InRange(ExponentialBackoff.Delay(3, baseDelay, max), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
            Assert.InRange(ExponentialBackoff.Delay(30, baseDelay, max), TimeSpan.FromSeconds(5), max);
        }

        Assert.Equal(TimeSpan.Zero, ExponentialBackoff.Delay(4, TimeSpan.Zero, TimeSpan.Zero));
    }

    [Theory]
    [InlineData(typeof(IOException), true)]
    [InlineData(typeof(MailKit.Net.Pop3.Pop3ProtocolException), true)]
    [InlineData(typeof(MailKit.Net.Imap.ImapProtocolException), true)]
    [InlineData(typeof(MailKit.ServiceNotConnectedException), true)]
    [InlineData(typeof(TimeoutException), true)]
    [InlineData(typeof(MailKit.Security.AuthenticationException), false)]
    [InlineData(typeof(MailKit.Security.SslHandshakeException), false)]
    [InlineData(typeof(InvalidOperationException), false)]
    public void IsTransient_ConnectionFailuresOnlyNotLoginOrTrust(Type type, bool transient)
    {
        var ex = (Exception)Activator.CreateInstance(type, "failed")!;

        Assert.Equal(transient, Reconnect.IsTransient(ex, CancellationToken.None));
    }

    /// <summary>Sends the client lines and the server bytes through a logger, the server's in reads of <paramref name="chunk"/> bytes.</summary>
    private static (List<string> Client, List<string> Server) Replay(int chunk)
    {
        var logs = new CapturingLoggerProvider();
        var logger = new Pop3WireLogger(logs.CreateLogger(Pop3WireLogger.Category));
        Receive(logger, "+OK ready\r\n");
        // The client sends each command before the server's answer to it arrives.
        foreach (var command in Client)
            Send(logger, command);
        var bytes = Encoding.ASCII.GetBytes(Server);
        for (var offset = 0; offset < bytes.Length; offset += chunk)
            logger.LogServer(bytes, offset, Math.Min(chunk, bytes.Length - offset));

        static List<string> Lines(CapturingLoggerProvider logs, string prefix) =>
            logs.Entries.Where(e => e.Message.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Message[prefix.Length..]).ToList();
        return (Lines(logs, "C: "), Lines(logs, "S: "));
    }

    private static void Send(Pop3WireLogger logger, string client)
    {
        var bytes = Encoding.ASCII.GetBytes(client);
        logger.LogClient(bytes, 0, bytes.Length);
    }

    private static void Receive(Pop3WireLogger logger, string server)
    {
        var bytes = Encoding.ASCII.GetBytes(server);
        logger.LogServer(bytes, 0, bytes.Length);
    }
}
