using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>What the server fixtures share: free loopback ports and running setup commands.</summary>
internal static class FixtureProcess
{
    /// <summary>
    /// A port that is free now; another process could take it before the server binds, which then shows up as a
    /// start failure with "bind" in the server's log.
    /// </summary>
    public static int GetFreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
