using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// Runs the variants of one suite side by side in a single process, in a shuffled order each round, and
/// compares them round by round. On a shared 2-core machine the load of other processes drifts between
/// BenchmarkDotNet's one-process-per-variant runs; paired rounds cancel most of that drift out.
/// <c>dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- interleaved SmtpSinkBenchmarks 20</c>
/// </summary>
internal static class InterleavedRunner
{
    private const int WarmupRounds = 5;

    public static async Task<int> RunAsync(string suiteName, int rounds)
    {
        var type = typeof(SmtpSendBenchmarks).Assembly.GetTypes()
            .SingleOrDefault(t => t.Name == suiteName && t.IsSubclassOf(typeof(SmtpSendBenchmarks)) && !t.IsAbstract);
        if (type is null)
        {
            await Console.Error.WriteLineAsync($"No SMTP suite named {suiteName}.");
            return 2;
        }

        var variants = type.GetMethods()
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<BenchmarkAttribute>()))
            .Where(v => v.Attribute is not null)
            .Select(v => new Variant(v.Attribute!.Description ?? v.Method.Name, v.Attribute.Baseline, v.Attribute.OperationsPerInvoke, v.Method))
            .ToArray();

        var suite = (SmtpSendBenchmarks)Activator.CreateInstance(type)!;
        await suite.SetupAsync();
        try
        {
            for (var round = 0; round < WarmupRounds; round++)
            {
                foreach (var variant in variants)
                    _ = await variant.TimeAsync(suite);
            }

            // [round][variant]: wall-clock and this process's CPU time (all threads, user + kernel), in seconds per invocation.
            var times = new double[rounds][];
            var cpu = new double[rounds][];
            for (var round = 0; round < rounds; round++)
            {
                times[round] = new double[variants.Length];
                cpu[round] = new double[variants.Length];
                foreach (var index in Enumerable.Range(0, variants.Length).OrderBy(_ => Random.Shared.Next()))
                    (times[round][index], cpu[round][index]) = await variants[index].TimeAsync(suite);
                Console.Error.Write('.');
            }

            Console.Error.WriteLine();
            Print(variants, times, cpu);
        }
        finally
        {
            await suite.CleanupAsync();
        }

        return 0;
    }

    private static void Print(Variant[] variants, double[][] times, double[][] cpu)
    {
        var invariant = CultureInfo.InvariantCulture;
        Console.WriteLine($"{times.Length} rounds after {WarmupRounds} warm-up rounds; medians. 'x vs N' = throughput relative to variant N, the median of per-round ratios.");
        Console.WriteLine("Client CPU = CPU time of this process (every thread, user + kernel) per message; the server's is not included.");
        Console.WriteLine();
        Console.WriteLine($"| # | Variant | Time per message | Messages/s | Client CPU per message | {string.Join(" | ", variants.Select((_, i) => $"x vs {i + 1}"))} |");
        Console.WriteLine($"|---|---|---:|---:|---:|{string.Concat(variants.Select(_ => "---:|"))}");
        for (var v = 0; v < variants.Length; v++)
        {
            var perMessage = Median(times.Select(round => round[v] / variants[v].Messages));
            var cpuPerMessage = Median(cpu.Select(round => round[v] / variants[v].Messages));
            var relative = Enumerable.Range(0, variants.Length)
                .Select(other => Median(times.Select(round => round[other] / variants[other].Messages / (round[v] / variants[v].Messages))).ToString("F2", invariant));
            Console.WriteLine(string.Create(invariant,
                $"| {v + 1} | {variants[v].Name}{(variants[v].Baseline ? " (baseline)" : "")} | {perMessage * 1e6:F1} us | {1 / perMessage:F0} | {cpuPerMessage * 1e6:F1} us | {string.Join(" | ", relative)} |"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed record Variant(string Name, bool Baseline, int Messages, MethodInfo Method)
    {
        public async Task<(double Wall, double Cpu)> TimeAsync(object suite)
        {
            // Like BenchmarkDotNet between iterations: the previous variant's garbage and finalizers
            // (TLS handles of variant (a)) must not be collected on this variant's clock.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var cpuBefore = Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            await (Task)Method.Invoke(suite, null)!;
            return (clock.Elapsed.TotalSeconds, (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds);
        }
    }
}
