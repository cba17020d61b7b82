namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>
/// The one rule for a missing real server: the test skips with the reason, except in CI (CI=true),
/// where .ci/run installs every server, so a missing one is a failure rather than a silent skip.
/// </summary>
public static class RequiredServer
{
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (or fails in CI) unless <paramref name="executable"/> exists.</summary>
    public static void Ensure(string name, string executable)
    {
        if (!File.Exists(executable))
            Unavailable(name, $"{executable} is not installed (.ci/run lists the Debian packages)");
    }

    /// <summary>
    /// Skips (or fails in CI) the current test because <paramref name="name"/> cannot run here;
    /// <paramref name="reason"/> says why and what to do.
    /// </summary>
    public static void Unavailable(string name, string reason)
    {
        if (IsCi)
            throw new InvalidOperationException($"{name} is required when CI=true: {reason}.");

        throw new SkipException($"{name} is not available: {reason}. In CI this is a failure.");
    }
}
