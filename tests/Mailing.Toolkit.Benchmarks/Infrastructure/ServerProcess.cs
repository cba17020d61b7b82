using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailing.Toolkit.Benchmarks.Infrastructure;

/// <summary>Small helpers to start the C servers and tools the benchmarks run against.</summary>
internal static class ServerProcess
{
    /// <summary>A loopback port that is free now (another process could still take it before the server binds).</summary>
    public static int GetFreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a long-running process whose output is collected into <paramref name="log"/>.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments, StringBuilder log)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs a command to completion; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
        return await output.ConfigureAwait(false);
    }

    /// <summary>Waits until an SMTP server answers 220 on the port; fails early when its process exits.</summary>
    public static async Task WaitForBannerAsync(string host, int port, Process process, StringBuilder log, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{process.StartInfo.FileName} exited with {process.ExitCode} while starting:\n{Read(log)}");

            try
            {
                using var client = new TcpClient();
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(host, port, attempt.Token).ConfigureAwait(false);
                using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
                if ((await reader.ReadLineAsync(attempt.Token).ConfigureAwait(false))?.StartsWith("220", StringComparison.Ordinal) == true)
                    return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new TimeoutException($"{process.StartInfo.FileName} did not answer 220 on {host}:{port} within {timeout.TotalSeconds}s:\n{Read(log)}");
    }

    /// <summary>Kills the process (and its children) if it is still running, then releases it.</summary>
    public static async Task StopAsync(Process process, TimeSpan gracePeriod)
    {
        using var grace = new CancellationTokenSource(gracePeriod);
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
    }

    public static string Read(StringBuilder log)
    {
        lock (log)
            return log.ToString();
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
            return;
        lock (log)
            log.AppendLine(line);
    }
}
