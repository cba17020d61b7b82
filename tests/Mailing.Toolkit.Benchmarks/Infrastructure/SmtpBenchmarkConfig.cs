using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;

namespace Mailing.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// The job of the SMTP throughput suites. One invocation sends a few thousand messages (0.3 to 5 s), so
/// the Monitoring strategy fits: no pilot stage, no overhead subtraction, one invocation per iteration.
/// With OperationsPerInvoke set to the message count, Mean is the time per message, Op/s is messages
/// per second, and Allocated is the bytes allocated per message (by every thread, the pool's included).
/// </summary>
internal sealed class SmtpBenchmarkConfig : ManualConfig
{
    public SmtpBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(6)
            .WithIterationCount(15));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
        // Keep the ratios readable as "0.33" rather than "3.04x slower".
        SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
    }
}
