using System.Diagnostics;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>The checked-in certificates of TestData/smime (see its README) and openssl as the independent oracle.</summary>
internal static class SMimeTestData
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "smime");

    public static string File(string name) => Path.Combine(Folder, name);

    /// <summary>An identity from the PEM certificate and unencrypted key of <paramref name="name"/>.</summary>
    public static SMimeIdentity Pem(string name) => new() { CertificatePath = File(name + ".crt"), PrivateKeyPath = File(name + ".key") };

    /// <summary>A folder holding copies of the named certificates, as a recipient certificate folder.</summary>
    public static string CertificateFolder(SMimeTemp temp, params string[] names)
    {
        var folder = temp.Folder("recipients");
        foreach (var name in names)
            System.IO.File.Copy(File(name + ".crt"), Path.Combine(folder, name + ".crt"));
        return folder;
    }
}

/// <summary>A temp folder removed at the end of a test.</summary>
internal sealed class SMimeTemp : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("smime-test-").FullName;

    public string Write(string name, byte[] content)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, content);
        return file;
    }

    public string Write(string name, string content) => Write(name, System.Text.Encoding.UTF8.GetBytes(content));

    public string Folder(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Runs openssl; a missing openssl skips locally and fails in CI (CI=true).</summary>
internal static class OpenSsl
{
    private const string Binary = "/usr/bin/openssl";

    public static async Task<(int ExitCode, byte[] Output, string Errors)> RunAsync(params string[] arguments)
    {
        if (!System.IO.File.Exists(Binary))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException("openssl is required when CI=true: /usr/bin/openssl is not installed.");
            throw new SkipException("openssl is not installed (/usr/bin/openssl). In CI this is a failure.");
        }

        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await copy;
        return (process.ExitCode, output.ToArray(), await errors);
    }

    /// <summary>Runs openssl and returns its output, failing the test when it exits non-zero.</summary>
    public static async Task<byte[]> MustAsync(params string[] arguments)
    {
        var (exit, output, errors) = await RunAsync(arguments);
        Assert.True(exit == 0, $"openssl {string.Join(' ', arguments)} exited with {exit}: {errors}");
        return output;
    }
}

/// <summary>A container with AddSMime and a capturing transport; sends through the real pipeline and parses with the DI parser.</summary>
internal sealed class SMimeHost : IAsyncDisposable
{
    private SMimeHost(ServiceProvider provider, CapturingTransport transport)
    {
        Provider = provider;
        Transport = transport;
    }

    public ServiceProvider Provider { get; }

    public CapturingTransport Transport { get; }

    public IMailParser Parser => Provider.GetRequiredService<IMailParser>();

    public static SMimeHost Build(Action<SMimeOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var transport = new CapturingTransport();
        services.AddSingleton(transport);
        services.AddMailing(o => o.DefaultFrom = "alice@example.test").AddSMime(configure).AddTransport<CapturingTransport>();
        return new SMimeHost(services.BuildServiceProvider(), transport);
    }

    /// <summary>Sends <paramref name="message"/>; returns the bytes the transport received.</summary>
    public async Task<byte[]> SendAsync(MailMessage message)
    {
        await Provider.GetRequiredService<IMailSender>().SendAsync(message);
        return Transport.Sent[^1];
    }

    public ValueTask<ParsedMail> ParseAsync(byte[] raw) => Parser.ParseAsync(new MemoryStream(raw));

    public static MailMessage Message(string from = "alice@example.test", string to = "bob@example.test", string text = "Hello Bob,\nthe invoice is attached.\n") => new()
    {
        From = from,
        To = { to },
        Subject = "Invoice 42",
        TextBody = text,
    };

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

internal static class SMimeMessages
{
    /// <summary>A complete message around an openssl smime output (which starts with its MIME headers).</summary>
    public static byte[] WithHeaders(byte[] smime, string from = "alice@example.test", string to = "bob@example.test") =>
        [.. System.Text.Encoding.ASCII.GetBytes($"From: {from}\r\nTo: {to}\r\nSubject: from openssl\r\nMessage-ID: <openssl@example.test>\r\n"), .. smime];

    /// <summary>A MIME entity for openssl to sign or encrypt.</summary>
    public static string Entity(string text) => $"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{text}\r\n";

    public static MimeMessage Load(byte[] raw) => MimeMessage.Load(new MemoryStream(raw));
}
