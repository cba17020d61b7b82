using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Sieve;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.IntegrationTests.Sieve;

/// <summary>The ManageSieve client (RFC 5804) against Dovecot's Pigeonhole: every command, response codes, hostile names and scripts.</summary>
[Collection(DovecotFixture.Collection)]
public sealed class ManageSieveDovecotTests(DovecotFixture dovecot)
{
    [SkippableFact]
    public async Task Connect_Default_UsesStartTlsAndReadsCapabilitiesAgainAfterIt()
    {
        dovecot.EnsureSieveAvailable();
        await using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("caps"));
        await using var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync();

        Assert.Contains("Pigeonhole", session.Capabilities.Implementation);
        Assert.True(session.Capabilities.Supports("fileinto"));
        Assert.True(session.Capabilities.Supports("vacation"));
        // Dovecot offers PLAIN only after STARTTLS: seeing it proves the capabilities were read again over TLS.
        Assert.Contains("PLAIN", session.Capabilities.SaslMechanisms);
        Assert.Equal("1.0", session.Capabilities.Version);
    }

    [SkippableFact]
    public async Task Scripts_PutListGetRenameActivateDelete_EachStepIsVisible()
    {
        dovecot.EnsureSieveAvailable();
        await using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("scripts"));
        await using var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync();
        const string script = "require \"fileinto\";\r\n# Grüße: non-ASCII survives\r\nif header :contains \"Subject\" \"report\" { fileinto \"Reports\"; }\r\n";

        var warnings = await session.PutScriptAsync("first", script);
        var listed = await session.ListScriptsAsync();
        var content = await session.GetScriptAsync("first");
        await session.SetActiveAsync("first");
        var active = await session.ListScriptsAsync();
        await session.RenameScriptAsync("first", "renamed");
        var renamed = await session.ListScriptsAsync();
        var deleteActive = await Assert.ThrowsAsync<ManageSieveException>(() => session.DeleteScriptAsync("renamed"));
        await session.DeactivateAsync();
        await session.DeleteScriptAsync("renamed");
        var missing = await Assert.ThrowsAsync<ManageSieveException>(() => session.GetScriptAsync("renamed"));

        Assert.Null(warnings);
        Assert.Equal([new SieveScriptInfo("first", false)], listed);
        Assert.Equal(script, content);
        Assert.Equal([new SieveScriptInfo("first", true)], active);
        Assert.Equal([new SieveScriptInfo("renamed", true)], renamed);
        Assert.Equal("ACTIVE", deleteActive.ResponseCode);
        Assert.Equal("NONEXISTENT", missing.ResponseCode);
        Assert.Empty(await session.ListScriptsAsync());
    }

    [SkippableFact]
    public async Task CheckAndPut_InvalidScript_ReportsTheServersErrorAndStoresNothing()
    {
        dovecot.EnsureSieveAvailable();
        await using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("check"));
        await using var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync();
        const string broken = "if header :contains \"Subject\" \"x\" { fileinto \"X\"; }\r\n"; // fileinto without require

        var check = await session.CheckScriptAsync(broken);
        var valid = await session.CheckScriptAsync("keep;\r\n");
        var put = await Assert.ThrowsAsync<ManageSieveException>(() => session.PutScriptAsync("broken", broken));

        Assert.False(check.IsValid);
        Assert.Contains("fileinto", check.Message);
        Assert.True(valid.IsValid);
        Assert.Contains("fileinto", put.ServerResponse);
        Assert.Empty(await session.ListScriptsAsync());
    }

    [SkippableFact]
    public async Task HaveSpaceAndPut_OverTheServersLimits_SayNoWithAQuotaCode()
    {
        dovecot.EnsureSieveAvailable();
        await using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("space"));
        await using var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync();
        // The fixture limits one script to 64 KiB (sieve_max_script_size).
        var large = "# " + new string('x', 70 * 1024) + "\r\nkeep;\r\n";

        Assert.True(await session.HaveSpaceAsync("small", 1000));
        Assert.False(await session.HaveSpaceAsync("large", large.Length));
        var refused = await Assert.ThrowsAsync<ManageSieveException>(() => session.PutScriptAsync("large", large));
        Assert.StartsWith("QUOTA", refused.ResponseCode);
        Assert.Empty(await session.ListScriptsAsync());
    }

    [SkippableFact]
    public async Task Names_QuotesBackslashesBracesAndUnicode_RoundTripExactly()
    {
        dovecot.EnsureSieveAvailable();
        await using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("names"));
        await using var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync();
        // Each of these would break a naively quoted command: a quote, a backslash, a literal marker, a command word.
        string[] names = ["say \"hi\"", "back\\slash", "{5+}", "x\" LOGOUT", "Ünïcödé ✓"];

        foreach (var name in names)
            await session.PutScriptAsync(name, $"# {name}\r\nkeep;\r\n");
        var listed = (await session.ListScriptsAsync()).Select(s => s.Name).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(names.Order(StringComparer.Ordinal).ToArray(), listed);
        foreach (var name in names)
            Assert.Equal($"# {name}\r\nkeep;\r\n", await session.GetScriptAsync(name));
    }

    [SkippableFact]
    public async Task Content_ThatLooksLikeProtocol_IsStoredAsData()
    {
        dovecot.EnsureSieveAvailable();
        await using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("inject"));
        await using var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync();
        // A literal carries any bytes: a line that reads like a command inside the script stays part of the script.
        const string script = "# \"\r\nDELETESCRIPT \"victim\"\r\n# {0+}\r\nkeep;\r\n";
        await session.PutScriptAsync("victim", "keep;\r\n");

        var check = await session.CheckScriptAsync(script);
        var put = await Record.ExceptionAsync(() => session.PutScriptAsync("carrier", script));

        Assert.False(check.IsValid); // DELETESCRIPT is not Sieve: the server parsed it as script text
        Assert.IsType<ManageSieveException>(put);
        Assert.Equal(["victim"], (await session.ListScriptsAsync()).Select(s => s.Name));
        Assert.Equal("keep;\r\n", await session.GetScriptAsync("victim"));
    }

    [SkippableFact]
    public void Names_WithLineBreaksOrControlCharacters_AreRefusedBeforeAnythingIsSent()
    {
        dovecot.EnsureSieveAvailable();
        using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("ctl"));
        var session = provider.GetRequiredService<IManageSieveClient>().ConnectAsync().GetAwaiter().GetResult();
        try
        {
            foreach (var name in new[] { "a\r\nLOGOUT", "tab\there", "nul\0", "", new string('n', 600) })
                Assert.Throws<ArgumentException>(() => session.PutScriptAsync(name, "keep;").GetAwaiter().GetResult());
            Assert.Empty(session.ListScriptsAsync().GetAwaiter().GetResult());
        }
        finally
        {
            session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [SkippableFact]
    public async Task Connect_WrongPasswordOrNotAManageSieveServer_ThrowsAClearError()
    {
        dovecot.EnsureSieveAvailable();
        await using var wrong = SieveTestHost.Build(dovecot, dovecot.CreateUser("wrong"), password: "not-the-password");
        await using var imapPort = SieveTestHost.Build(dovecot, dovecot.CreateUser("imap"), configure: o => o.Port = dovecot.ImapPort);

        var refused = await Assert.ThrowsAsync<ManageSieveException>(() => wrong.GetRequiredService<IManageSieveClient>().ConnectAsync());
        var notSieve = await Assert.ThrowsAsync<ManageSieveException>(() => imapPort.GetRequiredService<IManageSieveClient>().ConnectAsync());

        Assert.Contains("log in", refused.Message);
        Assert.IsType<MailKit.Security.AuthenticationException>(refused.InnerException);
        Assert.Contains("did not answer as a ManageSieve server", notSieve.Message);
        Assert.Contains("* OK", notSieve.Message);
    }

    [SkippableFact]
    public async Task Connect_ServerCertificateNotTrusted_FailsBeforeLoggingIn()
    {
        dovecot.EnsureSieveAvailable();
        await using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("untrusted"), configure: o => o.ServerCertificateValidationCallback = null);

        var error = await Assert.ThrowsAsync<ManageSieveException>(() => provider.GetRequiredService<IManageSieveClient>().ConnectAsync());

        Assert.IsAssignableFrom<System.Security.Authentication.AuthenticationException>(error.InnerException);
    }

    [SkippableFact]
    public async Task Connect_AsMasterUserForAnAccount_ManagesThatAccountsScripts()
    {
        dovecot.EnsureSieveAvailable();
        var account = dovecot.CreateUser("managed");
        await using (var own = SieveTestHost.Build(dovecot, account))
        await using (var session = await own.GetRequiredService<IManageSieveClient>().ConnectAsync())
            await session.PutScriptAsync("theirs", "keep;\r\n");
        await using var admin = SieveTestHost.Build(dovecot, DovecotFixture.MasterUser, DovecotFixture.MasterPassword);

        await using var acting = await admin.GetRequiredService<IManageSieveClient>().ConnectAsync(account);

        Assert.Equal(["theirs"], (await acting.ListScriptsAsync()).Select(s => s.Name));
    }

    [SkippableFact]
    public async Task GetScript_LargerThanMaxScriptSize_EndsTheSessionWithAClearError()
    {
        dovecot.EnsureSieveAvailable();
        var user = dovecot.CreateUser("limit");
        await using (var own = SieveTestHost.Build(dovecot, user))
        await using (var session = await own.GetRequiredService<IManageSieveClient>().ConnectAsync())
            await session.PutScriptAsync("big", "# " + new string('x', 3000) + "\r\nkeep;\r\n");
        await using var limited = SieveTestHost.Build(dovecot, user, configure: o => o.MaxScriptSize = 1024);
        await using var small = await limited.GetRequiredService<IManageSieveClient>().ConnectAsync();

        var error = await Assert.ThrowsAsync<ManageSieveException>(() => small.GetScriptAsync("big"));

        Assert.Contains("MaxScriptSize", error.Message);
        await Assert.ThrowsAsync<ManageSieveException>(() => small.ListScriptsAsync());
    }

    [SkippableFact]
    public async Task WireLog_AtTrace_MasksTheLoginAndShowsScriptsBySizeOnly()
    {
        dovecot.EnsureSieveAvailable();
        var logs = new LogCapture();
        var user = dovecot.CreateUser("wirelog");
        // The static passdb takes the fixture password; the master user is the one login with a password of its own.
        await using var provider = SieveTestHost.Build(dovecot, DovecotFixture.MasterUser, DovecotFixture.MasterPassword, logs: logs);
        await using (var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync(user))
        {
            await session.PutScriptAsync("secret-body", "# confidential-marker\r\nkeep;\r\n");
            Assert.Contains("confidential-marker", await session.GetScriptAsync("secret-body"));
        }

        var text = string.Join("\n", logs.Lines);
        var plain = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}\0{DovecotFixture.MasterUser}\0{DovecotFixture.MasterPassword}"));
        Assert.Contains("C: AUTHENTICATE \"PLAIN\" \"***\"", text);
        Assert.Contains("C: PUTSCRIPT \"secret-body\" <", text);
        Assert.DoesNotContain(DovecotFixture.MasterPassword, text);
        Assert.DoesNotContain(plain, text);
        Assert.DoesNotContain("confidential-marker", text);
        Assert.Contains("S: <literal:", text);
    }

    private sealed class LogCapture : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception) + (exception is null ? "" : " " + exception));

        public void Dispose()
        {
        }
    }
}
