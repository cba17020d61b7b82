using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>
/// A real SpamAssassin spamd (Debian's <c>spamd</c> and <c>spamassassin</c> packages) on a free loopback port, with the
/// rules Debian ships in <c>/usr/share/spamassassin</c> (no sa-update), local tests only (<c>-L</c>: no DNS, no
/// network), no per-user configuration and no Bayes; its children run as <c>nobody</c> with their home in a temp
/// folder. Shared by the classes marked <c>[Collection(SpamdFixture.Collection)]</c>; a test that must stop a server
/// starts its own with <see cref="StartAsync"/>. Tests call <see cref="EnsureAvailable"/> first: where spamd cannot run
/// they skip, or fail in CI.
/// </summary>
public sealed class SpamdFixture : IAsyncLifetime
{
    public const string Collection = "spamd";
    public const string Executable = "/usr/sbin/spamd";
    public const string RulesDirectory = "/usr/share/spamassassin";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly StringBuilder log = new();
    private Process? process;
    private string? unavailableReason;

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    public string Root { get; private set; } = "";

    /// <summary>Everything spamd logged so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (log)
                return log.ToString();
        }
    }

    /// <summary>Starts a server of its own, for a test that stops it; dispose it when done.</summary>
    public static async Task<SpamdFixture> StartAsync()
    {
        var fixture = new SpamdFixture();
        await fixture.InitializeAsync();
        fixture.EnsureAvailable();
        return fixture;
    }

    public void EnsureAvailable()
    {
        if (unavailableReason is not null)
            RequiredServer.Unavailable("spamd", unavailableReason);
    }

    public async Task InitializeAsync()
    {
        unavailableReason = FixtureProcess.WhyCannotStart(Executable, "spamassassin spamd")
            ?? (Directory.Exists(RulesDirectory) && Directory.EnumerateFiles(RulesDirectory, "*.cf").Any() ? null : $"no rules in {RulesDirectory} (apt-get install spamassassin)");
        if (unavailableReason is not null)
            return;
        try
        {
            await StartServerAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server (SIGTERM to the parent, which ends its children, then a kill).</summary>
    public async Task StopAsync()
    {
        if (process is { } running)
        {
            process = null;
            await SpamServerProcess.TerminateAsync(running, TimeSpan.FromSeconds(15));
        }
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        if (Root.Length > 0 && Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }

    private async Task StartServerAsync()
    {
        Root = Directory.CreateTempSubdirectory("mailing-spamd-").FullName;
        Port = FixtureProcess.GetFreeLoopbackPort();
        await FixtureProcess.RunAsync("chmod", "755", Root);
        await FixtureProcess.RunAsync("chown", "nobody", Root);

        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "-L", "-x", "-u", "nobody", "-H", Root, "-C", RulesDirectory,
            "-i", $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}", "-A", Host,
            "-m", "2", "--min-children=1", "--min-spare=1", "--max-spare=2",
            "-r", Path.Combine(Root, "spamd.pid"), "-s", "stderr",
            "--cf=use_bayes 0", "--cf=bayes_auto_learn 0",
        })
        {
            info.ArgumentList.Add(argument);
        }

        process = Process.Start(info) ?? throw new InvalidOperationException("spamd did not start");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitForPongAsync();
    }

    /// <summary>Sends <c>PING SPAMC/1.5</c> until spamd answers <c>PONG</c>.</summary>
    private async Task WaitForPongAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process is null || process.HasExited)
                throw new InvalidOperationException($"spamd exited while starting. Log:\n{Log}");
            try
            {
                using var client = new TcpClient();
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(Host, Port, attempt.Token);
                var stream = client.GetStream();
                await stream.WriteAsync("PING SPAMC/1.5\r\n\r\n"u8.ToArray(), attempt.Token);
                using var reader = new StreamReader(stream, Encoding.ASCII);
                if ((await reader.ReadLineAsync(attempt.Token))?.EndsWith("PONG", StringComparison.Ordinal) == true)
                    return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // Not listening yet.
            }

            if (clock.Elapsed > StartTimeout)
                throw new TimeoutException($"spamd did not answer PING on {Host}:{Port} within {StartTimeout.TotalSeconds} s. Log:\n{Log}");
            await Task.Delay(200);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (log)
            log.AppendLine(line);
    }
}

[CollectionDefinition(SpamdFixture.Collection)]
public sealed class SpamdCollectionDefinition : ICollectionFixture<SpamdFixture>;
