using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>What the server fixtures share: free loopback ports and running setup commands.</summary>
internal static class FixtureProcess
{
    private const int LowestPort = 20000;
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback port that is free now, below the kernel's ephemeral range: the port an outgoing connection (a test's
    /// client) gets is taken from that range, so no client can take this one before the server binds it. No two calls
    /// in this process return the same port. Another process could still take it, which then shows up as a start
    /// failure with "bind" in the server's log.
    /// </summary>
    public static int GetFreeLoopbackPort()
    {
        var ephemeralStart = EphemeralRangeStart();
        lock (HandedOut)
        {
            for (var attempt = 0; attempt < 1000 && ephemeralStart > LowestPort + 1000; attempt++)
            {
                var port = Random.Shared.Next(LowestPort, ephemeralStart);
                if (!HandedOut.Add(port))
                    continue;
                try
                {
                    using var probe = new TcpListener(IPAddress.Loopback, port);
                    probe.Start();
                    return port;
                }
                catch (SocketException)
                {
                    // In use: try another.
                }
            }

            // No room below the ephemeral range: let the kernel pick.
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var picked = ((IPEndPoint)listener.LocalEndpoint).Port;
            HandedOut.Add(picked);
            return picked;
        }
    }

    /// <summary>The first port of Linux's ephemeral range (<c>net.ipv4.ip_local_port_range</c>), 32768 when unknown.</summary>
    private static int EphemeralRangeStart()
    {
        const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(RangeFile) && int.TryParse(File.ReadAllText(RangeFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], out var start)
            ? start
            : 32768;
    }

    /// <summary>
    /// Why a system daemon cannot be started here, or null: the fixtures run Debian's packages on Linux, as root (the
    /// daemons switch to their own users over files only root can prepare).
    /// </summary>
    public static string? WhyCannotStart(string executable, string packages)
    {
        if (!OperatingSystem.IsLinux())
            return "the fixture runs it on Linux only";
        if (!File.Exists(executable))
            return $"{executable} is not installed (apt-get install {packages})";
        return Environment.IsPrivilegedProcess ? null : "starting it needs root (run the tests as root)";
    }

    /// <summary>Stops a daemon with its own stop command, and kills it if it is still there after <paramref name="timeout"/>.</summary>
    public static async Task StopAsync(Process process, TimeSpan timeout, string stopCommand, params string[] stopArguments)
    {
        try
        {
            await RunAsync(stopCommand, stopArguments);
        }
        catch (InvalidOperationException)
        {
            // Not running any more (it failed to start, or died): the kill below covers the rest.
        }

        using var stop = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }

    /// <summary>Runs a command to its end; a non-zero exit throws with its output.</summary>
    public static async Task<string> RunAsync(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
        return await output;
    }

    /// <summary>Polls a TCP port until the server greets with <paramref name="greeting"/>, or throws after <paramref name="timeout"/>.</summary>
    public static async Task WaitForGreetingAsync(string host, int port, string greeting, TimeSpan timeout, Func<string> log, Func<bool>? exited = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (exited?.Invoke() == true)
                throw new InvalidOperationException($"The server exited while starting. Log:\n{log()}");
            try
            {
                using var client = new TcpClient();
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(host, port, attempt.Token);
                using var reader = new StreamReader(client.GetStream(), System.Text.Encoding.ASCII);
                if ((await reader.ReadLineAsync(attempt.Token))?.StartsWith(greeting, StringComparison.Ordinal) == true)
                    return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"No '{greeting}' greeting on {host}:{port} within {timeout.TotalSeconds}s. Log:\n{log()}");
    }
}
