using System.Diagnostics;

namespace Mailing.Toolkit.Tests.Samples;

/// <summary>samples/Outbox run as a user runs it: its built executable, on a temp folder, with no server.</summary>
public sealed class OutboxSampleTests : IDisposable
{
    private readonly string data = Directory.CreateTempSubdirectory("mailing-outbox-sample-").FullName;

    [Fact]
    public async Task Sample_CommittedOrderAndScheduledNoteAreSent_TheRolledBackOrderSendsNothing()
    {
        var separator = Path.DirectorySeparatorChar;
        var dll = Path.Combine(
            AppContext.BaseDirectory.Replace($"tests{separator}Mailing.Toolkit.Tests", $"samples{separator}Outbox", StringComparison.Ordinal),
            "Outbox.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { dll, "--data", data })
            info.ArgumentList.Add(argument);

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        var text = await output;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{text}\n{await error}");
        Assert.Contains("Sent     attempts 1 to alice@example.test: Your order #1042 is confirmed", text, StringComparison.Ordinal);
        Assert.Contains("Sent     attempts 1 to alice@example.test: Your order #1042 ships tomorrow", text, StringComparison.Ordinal);
        Assert.DoesNotContain("bob@example.test", text, StringComparison.Ordinal);
        var delivered = Directory.GetFiles(Path.Combine(data, "maildir", "new")).Select(File.ReadAllText).ToArray();
        Assert.Equal(2, delivered.Length);
        Assert.All(delivered, m => Assert.Contains("To: alice@example.test", m, StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(data, recursive: true);
}
