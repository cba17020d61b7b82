using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// Runs the variants of an in-process suite (TemplateRenderBenchmarks, HtmlToTextBenchmarks) side by side in one
/// process, in a shuffled order each round, and times them with the CPU time of the calling thread. On the shared
/// 2-core machine wall-clock times swing with the other processes' load; the thread's own CPU time counts only
/// the time it ran, so ratios between variants stay stable when the machine is busy.
/// <c>dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- cpu TemplateRenderBenchmarks 30</c>
/// </summary>
internal static class CpuTimeRunner
{
    private const int CallsPerSample = 50;
    private static readonly TimeSpan WarmupPerVariant = TimeSpan.FromSeconds(2);

    public static int Run(string suiteName, int rounds)
    {
        var type = typeof(CpuTimeRunner).Assembly.GetTypes().SingleOrDefault(t => t.Name == suiteName && t.GetMethods().Any(IsBenchmark));
        if (type is null || type.IsSubclassOf(typeof(SmtpSendBenchmarks)) || !OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine($"No in-process suite named {suiteName} (or not on Linux, where thread CPU time is read).");
            return 2;
        }

        // A [Params] property (HtmlToTextBenchmarks.Input): one run per value.
        var parameter = type.GetProperties().SingleOrDefault(p => p.GetCustomAttribute<ParamsAttribute>() is not null);
        foreach (var value in parameter?.GetCustomAttribute<ParamsAttribute>()!.Values ?? [null])
        {
            var suite = Activator.CreateInstance(type)!;
            parameter?.SetValue(suite, value);
            if (parameter is not null)
                Console.WriteLine($"{parameter.Name} = {value}");
            Run(suite, rounds);
        }

        return 0;
    }

    private static void Run(object suite, int rounds)
    {
        Invoke<GlobalSetupAttribute>(suite);
        try
        {
            var variants = suite.GetType().GetMethods().Where(IsBenchmark).Select(method => new Variant(method, suite)).ToArray();

            // Until tier-1 code is in place (the background JIT is slow on a busy machine): twice per variant.
            for (var pass = 0; pass < 2; pass++)
            {
                foreach (var variant in variants)
                {
                    var clock = Stopwatch.StartNew();
                    while (clock.Elapsed < WarmupPerVariant)
                        variant.Call();
                }
            }

            var times = new double[rounds][];
            for (var round = 0; round < rounds; round++)
            {
                times[round] = new double[variants.Length];
                foreach (var index in Enumerable.Range(0, variants.Length).OrderBy(_ => Random.Shared.Next()))
                    times[round][index] = variants[index].Time();
                Console.Error.Write('.');
            }

            Console.Error.WriteLine();
            Print(variants, times);
        }
        finally
        {
            Invoke<GlobalCleanupAttribute>(suite);
        }
    }

    private static bool IsBenchmark(MethodInfo method) => method.GetCustomAttribute<BenchmarkAttribute>() is not null;

    private static void Invoke<TAttribute>(object suite)
        where TAttribute : Attribute
    {
        foreach (var method in suite.GetType().GetMethods().Where(m => m.GetCustomAttribute<TAttribute>() is not null))
            method.Invoke(suite, null);
    }

    private static void Print(Variant[] variants, double[][] times)
    {
        var invariant = CultureInfo.InvariantCulture;
        var baseline = Math.Max(Array.FindIndex(variants, v => v.Baseline), 0);
        Console.WriteLine($"{times.Length} rounds of {CallsPerSample} calls per variant, shuffled, after warm-up; thread CPU time per call (median, min); ratio = median of per-round ratios to the baseline.");
        Console.WriteLine();
        Console.WriteLine("| Variant | CPU per call (median) | min | Ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (var v = 0; v < variants.Length; v++)
        {
            var median = Median(times.Select(round => round[v]));
            var ratio = Median(times.Select(round => round[v] / round[baseline]));
            Console.WriteLine(string.Create(invariant,
                $"| {variants[v].Name}{(v == baseline ? " (baseline)" : "")} | {median:F1} us | {times.Min(round => round[v]):F1} us | {ratio:F2} |"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed class Variant(MethodInfo method, object suite)
    {
        public string Name { get; } = method.GetCustomAttribute<BenchmarkAttribute>()!.Description ?? method.Name;

        public bool Baseline { get; } = method.GetCustomAttribute<BenchmarkAttribute>()!.Baseline;

        public void Call()
        {
            if (method.Invoke(suite, null) is Task task)
                task.GetAwaiter().GetResult();
        }

        /// <summary>Microseconds of this thread's CPU time per call.</summary>
        public double Time()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var start = ThreadCpuMicroseconds();
            for (var i = 0; i < CallsPerSample; i++)
                Call();
            return (ThreadCpuMicroseconds() - start) / CallsPerSample;
        }
    }

    private static double ThreadCpuMicroseconds()
    {
        const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID
        if (NativeMethods.clock_gettime(ClockThreadCpuTime, out var time) != 0)
            throw new InvalidOperationException("clock_gettime failed.");
        return (time.Seconds * 1e6) + (time.Nanoseconds / 1e3);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc")]
        internal static extern int clock_gettime(int clock, out TimeSpec time);
    }
}
