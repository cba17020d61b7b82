using System.Globalization;
using BenchmarkDotNet.Running;
using Mailing.Toolkit.Benchmarks;

// See docs/benchmarks.md.
//   dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- --filter '*Smtp*'
//   dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- smtp-source
//   dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- interleaved SmtpSinkBenchmarks [rounds]
//   dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- cpu TemplateRenderBenchmarks [rounds]
//   sudo dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- inbound [rounds] [messages]
//   sudo dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- --filter '*InboundReceiveBenchmarks*'
//   sudo dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- --filter '*Outbox*'
//   sudo dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- outbox-paired [rounds]
switch (args)
{
    case ["smtp-source"]:
        return await SmtpSourceReference.RunAsync();
    case ["interleaved", var suite]:
        return await InterleavedRunner.RunAsync(suite, rounds: 20);
    case ["interleaved", var suite, var rounds]:
        return await InterleavedRunner.RunAsync(suite, int.Parse(rounds, CultureInfo.InvariantCulture));
    case ["cpu", var suite]:
        return CpuTimeRunner.Run(suite, rounds: 30);
    case ["cpu", var suite, var rounds]:
        return CpuTimeRunner.Run(suite, int.Parse(rounds, CultureInfo.InvariantCulture));
    case ["inbound"]:
        return await InboundReceiveBenchmark.RunAsync(rounds: 5, messages: 2000);
    case ["inbound", var rounds]:
        return await InboundReceiveBenchmark.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture), messages: 2000);
    case ["inbound", var rounds, var messages]:
        return await InboundReceiveBenchmark.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture), int.Parse(messages, CultureInfo.InvariantCulture));
    case ["outbox-paired"]:
        return await OutboxPairedRunner.RunAsync(rounds: 15);
    case ["outbox-paired", var rounds]:
        return await OutboxPairedRunner.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture));
    default:
        BenchmarkSwitcher.FromAssembly(typeof(SmtpSinkBenchmarks).Assembly).Run(args);
        return 0;
}
