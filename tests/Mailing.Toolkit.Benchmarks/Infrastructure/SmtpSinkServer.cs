using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mailing.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// Postfix's smtp-sink on a free loopback port: a single-process, event-driven C server that answers
/// every command at once and throws the mail away, so the client side is what gets measured.
/// </summary>
internal sealed class SmtpSinkServer : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/smtp-sink";
    public const string Host = "127.0.0.1";

    // listen(2) backlog: the naive variant opens a new connection per message, so keep it well above the 8 callers.
    private const int Backlog = 1024;

    private readonly StringBuilder log = new();
    private Process? process;

    private SmtpSinkServer(int port) => Port = port;

    public int Port { get; }

    public static async Task<SmtpSinkServer> StartAsync()
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"{Executable} is missing: apt-get install postfix (it ships smtp-sink and smtp-source).");

        var sink = new SmtpSinkServer(ServerProcess.GetFreeLoopbackPort());
        string[] arguments =
        [
            // smtp-sink refuses to keep root privileges; -u drops them once the socket is open.
            .. Environment.IsPrivilegedProcess ? ["-u", "nobody"] : Array.Empty<string>(),
            // -m: most connections served at once (the default is 256); no -c, whose counters only print to a terminal.
            "-m", "1024",
            $"{Host}:{sink.Port.ToString(CultureInfo.InvariantCulture)}",
            Backlog.ToString(CultureInfo.InvariantCulture),
        ];
        sink.process = ServerProcess.Start(Executable, arguments, sink.log);
        try
        {
            await ServerProcess.WaitForBannerAsync(Host, sink.Port, sink.process, sink.log, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch
        {
            await sink.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        if (process is null)
            return;
        // smtp-sink keeps no state worth a clean shutdown.
        if (!process.HasExited)
            process.Kill();
        await ServerProcess.StopAsync(process, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        process = null;
    }
}
