using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>
/// A real rspamd (Debian's <c>rspamd</c> package, its shipped rules) with a normal worker and a controller on free
/// loopback ports, its configuration, databases and pid file in a temp folder, running as <c>_rspamd</c>; no redis and
/// no network (DNS goes to a loopback port where nothing answers). Shared by the classes marked
/// <c>[Collection(RspamdFixture.Collection)]</c>; a test that must stop a server starts its own with
/// <see cref="StartAsync"/>. Tests call <see cref="EnsureAvailable"/> first: where rspamd cannot run they skip, or fail
/// in CI. rspamd takes about ten seconds to load its rules.
/// </summary>
public sealed class RspamdFixture : IAsyncLifetime
{
    public const string Collection = "rspamd";
    public const string Executable = "/usr/bin/rspamd";

    /// <summary>The controller's password, so tests can check it never reaches a log or an exception.</summary>
    public const string Password = "rspamd-fixture-secret-41c9";

    private const string User = "_rspamd";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly StringBuilder log = new();
    private Process? process;
    private string? unavailableReason;

    /// <summary>The normal worker's base URL (<c>/checkv2</c> is appended by the client).</summary>
    public Uri Url => new($"http://127.0.0.1:{NormalPort.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The controller's base URL; it serves <c>/checkv2</c> too.</summary>
    public Uri ControllerUrl => new($"http://127.0.0.1:{ControllerPort.ToString(CultureInfo.InvariantCulture)}");

    public int NormalPort { get; private set; }

    public int ControllerPort { get; private set; }

    public string Root { get; private set; } = "";

    /// <summary>Everything rspamd printed so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (log)
                return log.ToString();
        }
    }

    /// <summary>Starts a server of its own, for a test that stops it; dispose it when done.</summary>
    public static async Task<RspamdFixture> StartAsync()
    {
        var fixture = new RspamdFixture();
        await fixture.InitializeAsync();
        fixture.EnsureAvailable();
        return fixture;
    }

    public void EnsureAvailable()
    {
        if (unavailableReason is not null)
            RequiredServer.Unavailable("rspamd", unavailableReason);
    }

    public async Task InitializeAsync()
    {
        unavailableReason = FixtureProcess.WhyCannotStart(Executable, "rspamd");
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

    /// <summary>Stops the server (SIGTERM, then a kill); the temp folder stays until disposal.</summary>
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
        Root = Directory.CreateTempSubdirectory("mailing-rspamd-").FullName;
        NormalPort = FixtureProcess.GetFreeLoopbackPort();
        ControllerPort = FixtureProcess.GetFreeLoopbackPort();
        var deadDnsPort = FixtureProcess.GetFreeLoopbackPort();
        var templates = Path.Combine(AppContext.BaseDirectory, "Fixtures", "rspamd");
        foreach (var template in Directory.EnumerateFiles(templates, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(Root, "local", Path.GetRelativePath(templates, template));
            if (Path.GetFileName(template) == "rspamd.conf")
                target = Path.Combine(Root, "rspamd.conf");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var text = (await File.ReadAllTextAsync(template))
                .Replace("@DIR@", Root, StringComparison.Ordinal)
                .Replace("@NORMAL_PORT@", NormalPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("@CONTROLLER_PORT@", ControllerPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("@DNS_PORT@", deadDnsPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("@PASSWORD@", Password, StringComparison.Ordinal);
            await File.WriteAllTextAsync(target, text);
        }

        Directory.CreateDirectory(Path.Combine(Root, "db"));
        await FixtureProcess.RunAsync("chmod", "755", Root);
        await FixtureProcess.RunAsync("chown", "-R", $"{User}:{User}", Root);

        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "-f", "-c", Path.Combine(Root, "rspamd.conf"), "-u", User, "-g", User,
            "--var=CONFDIR=/etc/rspamd", $"--var=LOCAL_CONFDIR={Path.Combine(Root, "local")}", $"--var=DBDIR={Path.Combine(Root, "db")}",
            $"--var=RUNDIR={Root}", $"--var=LOGDIR={Root}",
        })
        {
            info.ArgumentList.Add(argument);
        }

        process = Process.Start(info) ?? throw new InvalidOperationException("rspamd did not start");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitForPongAsync();
    }

    /// <summary>Polls <c>/ping</c> on both workers until each answers <c>pong</c>.</summary>
    private async Task WaitForPongAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        foreach (var url in new[] { Url, ControllerUrl })
        {
            while (true)
            {
                if (process is null || process.HasExited)
                    throw new InvalidOperationException($"rspamd exited while starting. Log:\n{Log}");
                try
                {
                    if ((await http.GetStringAsync(new Uri(url, "/ping"))).StartsWith("pong", StringComparison.Ordinal))
                        break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Still loading its rules.
                }

                if (clock.Elapsed > StartTimeout)
                    throw new TimeoutException($"rspamd did not answer /ping on {url} within {StartTimeout.TotalSeconds} s. Log:\n{Log}");
                await Task.Delay(250);
            }
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

[CollectionDefinition(RspamdFixture.Collection)]
public sealed class RspamdCollectionDefinition : ICollectionFixture<RspamdFixture>;
