namespace Mailing.Toolkit.Tests.Telemetry;

/// <summary>
/// OpenTelemetry's providers listen to every meter and source named Mailing.Toolkit in the process: the tests that
/// count what they export run alone, so no other test's sends or passes add to their numbers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryIsolation
{
    public const string Name = "Telemetry (not in parallel)";
}
