using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace Mailing.Toolkit.Tests.Infrastructure;

/// <summary>What one line of a transcript does.</summary>
internal enum TranscriptStep
{
    /// <summary><c>S: text</c>: the server sends the text and CRLF (with a literal, when it ends in <c>{#}</c>).</summary>
    Send,

    /// <summary><c>C: text</c>: the client must send exactly this line (<c>{tag}</c> matches and remembers its IMAP tag).</summary>
    Expect,

    /// <summary><c>C~ regex</c>: the client must send a line the regex matches in full.</summary>
    ExpectPattern,

    /// <summary><c>S: &lt;close&gt;</c>: the server drops the connection here.</summary>
    Close,

    /// <summary><c>S: &lt;split n&gt;</c>: until the next client line, the server writes n bytes at a time, each flushed apart.</summary>
    Split,
}

/// <summary>One step of a transcript, with the line of the file it came from (for failure messages).</summary>
internal sealed record TranscriptLine(int Number, TranscriptStep Step, string Text, byte[]? Literal, Regex? Pattern, int SplitSize = 0)
{
    /// <summary>The line as written in the file, for messages.</summary>
    public string Source => Step switch
    {
        TranscriptStep.Expect => "C: " + Text,
        TranscriptStep.ExpectPattern => "C~ " + Text,
        TranscriptStep.Close => "S: <close>",
        TranscriptStep.Split => $"S: <split {SplitSize}>",
        _ => "S: " + Text,
    };
}

/// <summary>
/// A recorded protocol conversation (IMAP, POP3) read from a file under TestData/Transcripts; the format is described
/// in TestData/Transcripts/README.md. Each <c>=== name</c> line starts the script of the next connection the client
/// opens; lines before the first one belong to the first connection.
/// </summary>
internal sealed class Transcript
{
    private const string Tag = "{tag}";
    private const string LiteralMarker = "{#}";

    /// <summary>A space, for a line that ends in one (the repository's editors trim trailing whitespace).</summary>
    private const string Space = "{sp}";

    private Transcript(string name, List<(string Name, List<TranscriptLine> Lines)> connections)
    {
        Name = name;
        Connections = connections;
    }

    /// <summary>The file name relative to TestData/Transcripts, for messages.</summary>
    public string Name { get; }

    public IReadOnlyList<(string Name, List<TranscriptLine> Lines)> Connections { get; }

    /// <summary>Reads TestData/Transcripts/<paramref name="relativePath"/> from the test output folder.</summary>
    public static Transcript Load(string relativePath)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "Transcripts", relativePath);
        return Parse(relativePath, File.ReadAllText(path));
    }

    public static Transcript Parse(string name, string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var connections = new List<(string, List<TranscriptLine>)>();
        List<TranscriptLine>? current = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var number = i + 1;
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (line.StartsWith("===", StringComparison.Ordinal))
            {
                current = [];
                connections.Add((line.TrimStart('=').Trim(), current));
                continue;
            }

            if (current is null)
            {
                current = [];
                connections.Add(("connection 1", current));
            }

            if (current.Count > 0 && current[^1].Step == TranscriptStep.Close)
                throw new FormatException($"{name} line {number}: nothing can follow S: <close> but the next === connection.");

            if (line.StartsWith("S: ", StringComparison.Ordinal) || line == "S:")
            {
                var sent = line.Length > 3 ? line[3..].Replace(Space, " ", StringComparison.Ordinal) : string.Empty;
                if (sent == "<close>")
                {
                    current.Add(new TranscriptLine(number, TranscriptStep.Close, sent, null, null));
                }
                else if (sent.StartsWith("<split ", StringComparison.Ordinal) && sent.EndsWith('>'))
                {
                    var size = int.Parse(sent["<split ".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
                    current.Add(new TranscriptLine(number, TranscriptStep.Split, sent, null, null, size));
                }
                else if (sent.EndsWith(LiteralMarker, StringComparison.Ordinal))
                {
                    // The literal's lines follow as "S| ..." lines, each sent with CRLF; {#} becomes {octet count}.
                    var literal = new StringBuilder();
                    while (i + 1 < lines.Length && (lines[i + 1] == "S|" || lines[i + 1].StartsWith("S| ", StringComparison.Ordinal)))
                    {
                        i++;
                        literal.Append(lines[i].Length > 3 ? lines[i][3..].Replace(Space, " ", StringComparison.Ordinal) : string.Empty).Append("\r\n");
                    }

                    var bytes = Encoding.UTF8.GetBytes(literal.ToString());
                    current.Add(new TranscriptLine(number, TranscriptStep.Send, sent[..^LiteralMarker.Length] + "{" + bytes.Length + "}", bytes, null));
                }
                else
                {
                    current.Add(new TranscriptLine(number, TranscriptStep.Send, sent, null, null));
                }
            }
            else if (line.StartsWith("C: ", StringComparison.Ordinal))
            {
                var expected = line[3..].Replace(Space, " ", StringComparison.Ordinal);
                var pattern = string.Join("(?<tag>[A-Za-z0-9]+)", expected.Split(Tag).Select(Regex.Escape));
                current.Add(new TranscriptLine(number, TranscriptStep.Expect, expected, null, new Regex("^" + pattern + "$", RegexOptions.CultureInvariant)));
            }
            else if (line.StartsWith("C~ ", StringComparison.Ordinal))
            {
                var expected = line[3..].Replace(Space, " ", StringComparison.Ordinal);
                var pattern = expected.Replace(Tag, "(?<tag>[A-Za-z0-9]+)", StringComparison.Ordinal);
                current.Add(new TranscriptLine(number, TranscriptStep.ExpectPattern, expected, null, new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant)));
            }
            else if (line.StartsWith("S|", StringComparison.Ordinal))
            {
                throw new FormatException($"{name} line {number}: a literal line (S|) must follow an S: line that ends in {LiteralMarker}.");
            }
            else
            {
                throw new FormatException($"{name} line {number}: a line starts with 'S: ', 'S| ', 'C: ', 'C~ ', '===' or '#': {line}");
            }
        }

        return new Transcript(name, connections);
    }
}

/// <summary>
/// Plays a <see cref="Transcript"/> to the library's clients on a free loopback port, over TLS (SSL-on-connect with
/// <see cref="TestCertificates.Localhost"/>: the library sends credentials only over an encrypted connection, so the
/// transcript is the conversation inside TLS). Each connection the client opens gets the next connection script; the
/// server writes the <c>S:</c> lines and checks each line the client sends against the next <c>C:</c>/<c>C~</c> line.
/// A deviation ends the connection and is kept; <see cref="RunAsync"/> fails the test with it (expected and actual
/// line), in preference to whatever error the client ran into because of it.
/// </summary>
internal sealed class TranscriptReplay : IAsyncDisposable
{
    private static readonly TimeSpan ClientLineTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<string> failures = new();
    private readonly ConcurrentDictionary<int, Task> sessions = new();
    private readonly ConcurrentDictionary<int, int> progress = new();
    private readonly ConcurrentQueue<(int Connection, string Line)> clientLines = new();
    private readonly Task accepting;
    private int connections;

    private TranscriptReplay(Transcript transcript)
    {
        Transcript = transcript;
        listener.Start();
        accepting = AcceptLoopAsync();
    }

    public Transcript Transcript { get; }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Connections the client opened so far.</summary>
    public int Connections => Volatile.Read(ref connections);

    /// <summary>Every line the client sent, with the 1-based connection it came on.</summary>
    public IReadOnlyList<(int Connection, string Line)> ClientLines => clientLines.ToArray();

    /// <summary>Starts a server playing TestData/Transcripts/<paramref name="relativePath"/>.</summary>
    public static TranscriptReplay Start(string relativePath) => new(Transcript.Load(relativePath));

    public static TranscriptReplay Start(Transcript transcript) => new(transcript);

    /// <summary>
    /// Runs the test's <paramref name="body"/> (which should dispose its clients, so that their LOGOUT or QUIT is played
    /// too), then waits for every connection to reach the end of its script and fails when the client deviated from the
    /// transcript, left part of it unplayed or opened more connections than it has.
    /// </summary>
    public async Task RunAsync(Func<Task> body)
    {
        Exception? error = null;
        try
        {
            await body();
        }
        catch (Exception ex)
        {
            error = ex;
        }

        await Task.WhenAll(sessions.Values).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        var problems = failures.ToList();
        for (var i = 0; i < Transcript.Connections.Count; i++)
        {
            var (name, lines) = Transcript.Connections[i];
            if (i >= Connections)
            {
                problems.Add($"{Transcript.Name}: the client never opened connection {i + 1} ({name}), line {lines.FirstOrDefault()?.Number}.");
                continue;
            }

            var reached = progress.GetValueOrDefault(i);
            if (reached < lines.Count && !problems.Any(p => p.Contains($"connection {i + 1} ", StringComparison.Ordinal)))
                problems.Add($"{Transcript.Name}, connection {i + 1} ({name}): the client stopped before line {lines[reached].Number}: {lines[reached].Source}");
        }

        if (problems.Count > 0)
        {
            var message = new StringBuilder("The client did not follow the transcript.\n").AppendJoin("\n", problems);
            if (error is not null)
                message.Append("\n\nThe test body failed too: ").Append(error);
            throw new XunitException(message.ToString());
        }

        if (error is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
    }

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

        await Task.WhenAll(sessions.Values).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var socket = await listener.AcceptSocketAsync(stop.Token);
            var index = Interlocked.Increment(ref connections) - 1;
            sessions[index] = Task.Run(() => SessionAsync(socket, index));
        }
    }

    private async Task SessionAsync(Socket socket, int index)
    {
        socket.NoDelay = true;
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            await ssl.AuthenticateAsServerAsync(TestCertificates.Localhost);
            if (index >= Transcript.Connections.Count)
            {
                failures.Enqueue($"{Transcript.Name}: the client opened connection {index + 1}, but the transcript has only {Transcript.Connections.Count}.");
                return;
            }

            await PlayAsync(ssl, index);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            var (name, lines) = Transcript.Connections[Math.Min(index, Transcript.Connections.Count - 1)];
            var reached = progress.GetValueOrDefault(index);
            if (index < Transcript.Connections.Count && reached < lines.Count && lines[reached].Step is TranscriptStep.Send)
                failures.Enqueue($"{Transcript.Name}, connection {index + 1} ({name}), line {lines[reached].Number}: the client closed the connection before the server could send: {lines[reached].Source} ({ex.GetType().Name})");
        }
        finally
        {
            await ssl.DisposeAsync();
        }
    }

    private async Task PlayAsync(SslStream ssl, int index)
    {
        var (name, lines) = Transcript.Connections[index];
        var reader = new LineReader(ssl);
        string? tag = null;
        var split = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var at = $"{Transcript.Name}, connection {index + 1} ({name}), line {line.Number}";
            switch (line.Step)
            {
                case TranscriptStep.Send:
                    if (line.Text.Contains("{tag}", StringComparison.Ordinal) && tag is null)
                        throw new FormatException($"{at}: {{tag}} in a server line before any client line named one.");
                    var bytes = new MemoryStream();
                    bytes.Write(Encoding.UTF8.GetBytes(line.Text.Replace("{tag}", tag, StringComparison.Ordinal) + "\r\n"));
                    if (line.Literal is not null)
                        bytes.Write(line.Literal);
                    await WriteAsync(ssl, bytes.ToArray(), split);
                    break;
                case TranscriptStep.Split:
                    split = line.SplitSize;
                    break;
                case TranscriptStep.Close:
                    progress[index] = i + 1;
                    return;
                default:
                    split = 0;
                    string? actual;
                    try
                    {
                        actual = await reader.ReadLineAsync(stop.Token).AsTask().WaitAsync(ClientLineTimeout, stop.Token);
                    }
                    catch (TimeoutException)
                    {
                        failures.Enqueue($"{at}: the client sent nothing for {ClientLineTimeout.TotalSeconds:0} s\n  expected: {line.Source}");
                        return;
                    }

                    if (actual is null)
                    {
                        failures.Enqueue($"{at}: expected the client to send\n  expected: {line.Source}\n  actual:   (the client closed the connection)");
                        return;
                    }

                    clientLines.Enqueue((index + 1, actual));
                    var match = line.Pattern!.Match(actual);
                    if (!match.Success)
                    {
                        failures.Enqueue($"{at}: the client deviated from the transcript\n  expected: {line.Source}\n  actual:   {actual}");
                        return;
                    }

                    if (match.Groups["tag"].Success)
                        tag = match.Groups["tag"].Value;
                    break;
            }

            progress[index] = i + 1;
        }

        // The end of this connection's script: whatever the client sends now was not expected.
        var extra = await reader.ReadLineAsync(stop.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), stop.Token).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default);
        if (extra is not null)
        {
            clientLines.Enqueue((index + 1, extra));
            failures.Enqueue($"{Transcript.Name}, connection {index + 1} ({name}): the script ended, but the client sent\n  actual:   {extra}");
        }
    }

    /// <summary>Writes <paramref name="bytes"/> in one go, or <paramref name="split"/> bytes at a time with a flush and a pause between, so they arrive in separate TCP segments (TLS records).</summary>
    private async Task WriteAsync(SslStream ssl, byte[] bytes, int split)
    {
        if (split <= 0)
        {
            await ssl.WriteAsync(bytes, stop.Token);
            await ssl.FlushAsync(stop.Token);
            return;
        }

        for (var offset = 0; offset < bytes.Length; offset += split)
        {
            await ssl.WriteAsync(bytes.AsMemory(offset, Math.Min(split, bytes.Length - offset)), stop.Token);
            await ssl.FlushAsync(stop.Token);
            await Task.Delay(2, stop.Token);
        }
    }

    /// <summary>Reads CRLF-terminated lines byte by byte from the client (no read-ahead past what was asked).</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] buffer = new byte[16 * 1024];
        private int start;
        private int end;

        public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new MemoryStream();
            while (true)
            {
                if (start == end)
                {
                    start = 0;
                    end = await stream.ReadAsync(buffer, cancellationToken);
                    if (end == 0)
                        return line.Length > 0 ? Encoding.UTF8.GetString(line.ToArray()) : null;
                }

                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                var stopAt = newline < 0 ? end : newline + 1;
                line.Write(buffer, start, stopAt - start);
                start = stopAt;
                if (newline >= 0)
                    return Encoding.UTF8.GetString(line.ToArray()).TrimEnd('\r', '\n');
            }
        }
    }
}

/// <summary>
/// Records a transcript from a real server: a TLS proxy on a free loopback port (the client trusts
/// <see cref="TestCertificates.Localhost"/> as with <see cref="TranscriptReplay"/>) in front of a server reached over
/// TLS (SSL-on-connect; its certificate is not checked: point it only at a local test server). Every line each side
/// sends is written down in the transcript format: IMAP tags become <c>{tag}</c>, literals become <c>{#}</c> and
/// <c>S|</c> lines, and login lines become <c>C~</c> patterns that do not hold the secret. The result is a starting
/// point to edit, not a test by itself (TestData/Transcripts/README.md).
/// </summary>
internal sealed partial class TranscriptRecorder : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentBag<Task> sessions = [];
    private readonly List<Recording> connections = [];
    private readonly Lock gate = new();
    private readonly string upstreamHost;
    private readonly int upstreamPort;
    private readonly bool imap;
    private readonly Task accepting;

    public TranscriptRecorder(string upstreamHost, int upstreamPort, bool imap)
    {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        this.imap = imap;
        listener.Start();
        accepting = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>The transcript so far, one <c>=== connection n</c> section per connection.</summary>
    public string Text
    {
        get
        {
            lock (gate)
            {
                var text = new StringBuilder();
                for (var i = 0; i < connections.Count; i++)
                    text.Append("=== connection ").Append(i + 1).Append('\n').AppendJoin("\n", connections[i].Lines).Append("\n\n");
                return text.ToString();
            }
        }
    }

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

    /// <summary>MailKit's tags: a letter per client (A, B, ...) and a counter.</summary>
    [GeneratedRegex(@"^[A-Z]\d{8}(?= )")]
    private static partial Regex ImapTag();

    [GeneratedRegex(@"\{(\d+)\}$")]
    private static partial Regex LiteralLength();

    [GeneratedRegex(@"^(?<head>(?:[A-Z]\d{8} )?(?:AUTHENTICATE \S+|LOGIN|AUTH \S+|PASS|USER))(?: .*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Login();

    /// <summary>A SASL response sent on its own line (POP3 AUTH, IMAP AUTHENTICATE without SASL-IR): it holds the credentials.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9+/]{12,}={0,2}$")]
    private static partial Regex SaslResponse();

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var socket = await listener.AcceptSocketAsync(stop.Token);
            var recording = new Recording();
            lock (gate)
                connections.Add(recording);
            sessions.Add(Task.Run(() => ProxyAsync(socket, recording)));
        }
    }

    private async Task ProxyAsync(Socket socket, Recording lines)
    {
        await using var client = new SslStream(new NetworkStream(socket, ownsSocket: true));
        using var upstreamSocket = new TcpClient();
        try
        {
            await client.AuthenticateAsServerAsync(TestCertificates.Localhost);
            await upstreamSocket.ConnectAsync(upstreamHost, upstreamPort);
            await using var upstream = new SslStream(upstreamSocket.GetStream(), false, (_, _, _, _) => true);
            await upstream.AuthenticateAsClientAsync("localhost");
            var toServer = PumpAsync(client, upstream, fromClient: true, lines);
            var toClient = PumpAsync(upstream, client, fromClient: false, lines);
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
        }
    }

    private async Task PumpAsync(Stream from, Stream to, bool fromClient, Recording recording)
    {
        var pending = new List<byte>();
        var literal = 0;
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, stop.Token)) > 0)
            {
                // Written down before it is passed on, so a command always comes before its answer.
                pending.AddRange(buffer.AsSpan(0, read));
                Drain(pending, ref literal, fromClient, recording);
                await to.WriteAsync(buffer.AsMemory(0, read), stop.Token);
                await to.FlushAsync(stop.Token);
            }

            lock (gate)
                recording.Lines.Add(fromClient ? "# the client closed the connection" : "S: <close>");
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            from.Close();
            to.Close();
        }
    }

    private void Drain(List<byte> pending, ref int literal, bool fromClient, Recording recording)
    {
        var lines = recording.Lines;
        while (true)
        {
            if (literal > 0)
            {
                if (pending.Count < literal)
                    return;
                var text = Encoding.UTF8.GetString(pending.GetRange(0, literal).ToArray());
                pending.RemoveRange(0, literal);
                literal = 0;
                var literalLines = text.Split("\r\n");
                lock (gate)
                {
                    foreach (var l in literalLines[..^1])
                        lines.Add(l.Length == 0 ? "S|" : TrailingSpace("S| " + l));
                    if (literalLines[^1].Length > 0)
                        lines.Add("# (the literal does not end with CRLF: its last line is " + literalLines[^1] + ")");
                }

                continue;
            }

            var newline = pending.IndexOf((byte)'\n');
            if (newline < 0)
                return;
            var line = Encoding.UTF8.GetString(pending.GetRange(0, newline + 1).ToArray()).TrimEnd('\r', '\n');
            pending.RemoveRange(0, newline + 1);
            var recorded = line;
            if (imap && fromClient && ImapTag().Match(line) is { Success: true } tag)
                recording.Tag = tag.Value;
            if (imap && recording.Tag is not null)
                recorded = recorded.Replace(recording.Tag, "{tag}", StringComparison.Ordinal);
            if (fromClient)
            {
                var login = Login().Match(line);
                recorded = SaslResponse().IsMatch(line) ? "C~ [A-Za-z0-9+/=]+" : login.Success ? "C~ " + Regex.Escape(ImapTag().Replace(login.Groups["head"].Value, "{tag}")).Replace(@"\{tag}", "{tag}", StringComparison.Ordinal).Replace(@"\ ", " ", StringComparison.Ordinal) + ".*" : "C: " + recorded;
            }
            else if (imap && LiteralLength().Match(line) is { Success: true } length)
            {
                literal = int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                recorded = "S: " + recorded[..^length.Length] + "{#}";
            }
            else
            {
                recorded = "S: " + recorded;
            }

            lock (gate)
                lines.Add(TrailingSpace(recorded));
        }
    }

    /// <summary>Writes the spaces a line ends with as <c>{sp}</c>, which editors do not trim ("S: " alone is an empty line: "S:").</summary>
    private static string TrailingSpace(string line)
    {
        var (prefix, content) = (line[..3], line[3..]);
        var trimmed = content.TrimEnd(' ');
        if (content.Length == 0)
            return prefix.TrimEnd();
        return prefix + trimmed + string.Concat(Enumerable.Repeat("{sp}", content.Length - trimmed.Length));
    }

    private sealed class Recording
    {
        public List<string> Lines { get; } = [];

        /// <summary>The tag of the client's last IMAP command, written <c>{tag}</c> wherever it appears.</summary>
        public string? Tag { get; set; }
    }
}
