using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// <see cref="OutboxEnqueueBenchmarks"/>' rows side by side in one process, in a shuffled order each round, each row
/// compared with its category's baseline in the same round (the median over rounds). On the shared 2-core machine the
/// load drifts between BenchmarkDotNet's one-process-per-row runs; paired rounds cancel most of it out.
/// <c>dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- outbox-paired [rounds]</c>
/// </summary>
internal static class OutboxPairedRunner
{
    private const int WarmupRounds = 3;

    // Each timed run is about this many rows, so one round of every row takes a second or two.
    private const int RowsPerRun = 400;

    public static async Task<int> RunAsync(int rounds)
    {
        var variants = typeof(OutboxEnqueueBenchmarks).GetMethods()
            .Select(m => (Method: m, Benchmark: m.GetCustomAttribute<BenchmarkAttribute>(), Category: m.GetCustomAttribute<BenchmarkCategoryAttribute>()))
            .Where(v => v.Benchmark is not null && v.Category is not null)
            .Select(v => new Variant(v.Category!.Categories[0], v.Benchmark!.Description ?? v.Method.Name, v.Benchmark.Baseline, v.Benchmark.OperationsPerInvoke, v.Method))
            .ToArray();
        var suite = new OutboxEnqueueBenchmarks();
        await suite.SetupAsync();
        try
        {
            for (var round = 0; round < WarmupRounds; round++)
            {
                foreach (var variant in variants)
                    _ = await variant.TimeAsync(suite);
            }

            var times = new double[rounds][];
            for (var round = 0; round < rounds; round++)
            {
                times[round] = new double[variants.Length];
                foreach (var index in Enumerable.Range(0, variants.Length).OrderBy(_ => Random.Shared.Next()))
                    times[round][index] = await variants[index].TimeAsync(suite);
                Console.Error.Write('.');
            }

            Console.Error.WriteLine();
            Console.WriteLine($"{rounds} rounds after {WarmupRounds} warm-up rounds; each run about {RowsPerRun} rows; 'x baseline' is the median over rounds of (row / its category's baseline) in the same round.");
            Console.WriteLine();
            Console.WriteLine("| Category | Row | Median per row | x baseline (time) | Throughput vs baseline |");
            Console.WriteLine("|---|---|---:|---:|---:|");
            for (var i = 0; i < variants.Length; i++)
            {
                var baseline = Array.FindIndex(variants, v => v.Baseline && v.Category == variants[i].Category);
                var ratio = Median(times.Select(t => t[i] / t[baseline]));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {variants[i].Category} | {variants[i].Name}{(variants[i].Baseline ? " (baseline)" : "")} | {Median(times.Select(t => t[i])) * 1e6:F1} us | {ratio:F2} | {1 / ratio:F2} |"));
            }
        }
        finally
        {
            await suite.CleanupAsync();
        }

        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed record Variant(string Category, string Name, bool Baseline, int OperationsPerInvoke, MethodInfo Method)
    {
        /// <summary>Runs the row about <see cref="RowsPerRun"/> times over; returns the wall-clock seconds per row.</summary>
        public async Task<double> TimeAsync(OutboxEnqueueBenchmarks suite)
        {
            var invocations = Math.Max(1, RowsPerRun / OperationsPerInvoke);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < invocations; i++)
            {
                if (Method.Invoke(suite, null) is Task task)
                    await task;
            }

            return clock.Elapsed.TotalSeconds / (invocations * OperationsPerInvoke);
        }
    }
}
