using System.Diagnostics;
using System.Globalization;
using Mailing.Toolkit.Benchmarks.Infrastructure;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// The C reference: Postfix's smtp-source load generator against the same smtp-sink, timed from here
/// (it prints no rate). <c>-s 8 -m 4000 -l 2048</c>: 8 sessions in parallel, 4,000 messages with a
/// 2,048-byte body. By default it opens a new connection per message, like variant (a); <c>-d</c> keeps
/// each session's connection for the next message, like (b) and (c). smtp-source does not pipeline.
/// No <c>-c</c>: its running counter only repaints a terminal line.
/// </summary>
internal static class SmtpSourceReference
{
    private const string Executable = "/usr/sbin/smtp-source";
    private const int Sessions = 8;
    private const int Messages = 4000;
    private const int BodyBytes = 2048;
    private const int Runs = 7;

    public static async Task<int> RunAsync()
    {
        await using var sink = await SmtpSinkServer.StartAsync();
        var endpoint = $"{SmtpSinkServer.Host}:{sink.Port.ToString(CultureInfo.InvariantCulture)}";
        Console.WriteLine($"smtp-sink on {endpoint}; {Runs} runs each (after one warm-up run), median shown.");
        Console.WriteLine();
        Console.WriteLine("| smtp-source | Time per message | Messages/s (median) | Every run (messages/s) |");
        Console.WriteLine("|---|---:|---:|---|");
        foreach (var (name, reuse) in new[] { ("new connection per message", false), ("-d: one connection per session", true) })
        {
            string[] arguments =
            [
                .. reuse ? ["-d"] : Array.Empty<string>(),
                "-s", Sessions.ToString(CultureInfo.InvariantCulture),
                "-m", Messages.ToString(CultureInfo.InvariantCulture),
                "-l", BodyBytes.ToString(CultureInfo.InvariantCulture),
                "-f", BenchMessages.From,
                "-t", BenchMessages.To,
                endpoint,
            ];
            await TimeAsync(arguments); // warm-up
            var rates = new List<double>();
            for (var run = 0; run < Runs; run++)
                rates.Add(Messages / (await TimeAsync(arguments)).TotalSeconds);

            rates.Sort();
            var median = rates[rates.Count / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| `smtp-source {string.Join(' ', arguments[..^1])} HOST:PORT` ({name}) | {1_000_000 / median:F1} us | {median:F0} | {string.Join(", ", rates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} |"));
        }

        return 0;
    }

    private static async Task<TimeSpan> TimeAsync(string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        await ServerProcess.RunAsync(Executable, arguments);
        return clock.Elapsed;
    }
}
