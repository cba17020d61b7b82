using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>Stops the spam servers the fixtures started: SIGTERM (no <c>kill</c> binary needed), then a kill of the tree.</summary>
internal static partial class SpamServerProcess
{
    private const int SigTerm = 15;

    /// <summary>Asks the process to stop and waits; kills it and its children if it is still there after <paramref name="timeout"/>.</summary>
    public static async Task TerminateAsync(Process process, TimeSpan timeout)
    {
        try
        {
            if (!process.HasExited)
                _ = Kill(process.Id, SigTerm);

            using var wait = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
