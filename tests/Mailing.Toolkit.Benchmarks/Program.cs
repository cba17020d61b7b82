using BenchmarkDotNet.Running;
using Mailing.Toolkit.Benchmarks;

// dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- --filter '*Smtp*'
// dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- smtp-source
if (args is ["smtp-source"])
    return await SmtpSourceReference.RunAsync();

BenchmarkSwitcher.FromAssembly(typeof(SmtpSinkBenchmarks).Assembly).Run(args);
return 0;
