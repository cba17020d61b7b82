using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.IntegrationTests.Security;

/// <summary>The rspamd client against a real rspamd (Debian's package and rules).</summary>
[Collection(RspamdFixture.Collection)]
public sealed class RspamdClassifierTests(RspamdFixture rspamd)
{
    [SkippableFact]
    public async Task ClassifyAsync_Gtube_GivesReject()
    {
        rspamd.EnsureAvailable();
        using var services = SpamMessages.Services(b => b.AddRspamd(o => o.Url = rspamd.Url));

        var verdict = await services.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage(), SpamMessages.Context());

        Assert.True(verdict.Origin == SpamVerdictOrigin.Server, $"{verdict}\n{rspamd.Log}");
        Assert.Equal((SpamAction.Reject, true, "rspamd"), (verdict.Action, verdict.IsSpam, verdict.Classifier));
        Assert.Contains(verdict.Symbols, s => s.Name == "GTUBE");
        Assert.True(verdict.Threshold > 0);
    }

    [SkippableFact]
    public async Task ClassifyAsync_PlainHam_GivesNoActionAndUsesTheEnvelope()
    {
        rspamd.EnsureAvailable();
        using var services = SpamMessages.Services(b => b.AddRspamd(o => o.Url = rspamd.Url));
        var message = SpamMessages.HamMessage();

        var verdict = await services.GetRequiredService<ISpamClassifier>().ClassifyAsync(message, SpamMessages.Context());

        Assert.True(verdict.Origin == SpamVerdictOrigin.Server, $"{verdict}\n{rspamd.Log}");
        var symbols = string.Join(", ", verdict.Symbols.Select(s => $"{s.Name} {s.Score}"));
        Assert.True((SpamAction.NoAction, false) == (verdict.Action, verdict.IsSpam), $"{verdict}: {symbols}");
        Assert.True(verdict.Score < verdict.Threshold, verdict.ToString());
        // rspamd read the envelope it was given: the From header is the envelope sender, and both To addresses are
        // envelope recipients (sent as one comma-separated Rcpt header, which rspamd split); with the client's host
        // name given, the host-name rules stay quiet although DNS is unreachable here.
        Assert.Contains(verdict.Symbols, s => s.Name == "FROM_EQ_ENVFROM");
        Assert.DoesNotContain(verdict.Symbols, s => s.Name is "RDNS_NONE" or "HFILTER_HOSTNAME_UNKNOWN");
        Assert.Contains(verdict.Symbols, s => s.Name == "TO_MATCH_ENVRCPT_ALL");
        Assert.Contains(verdict.Symbols, s => s.Description is { Length: > 0 });
    }

    [SkippableFact]
    public async Task ClassifyAsync_Utf8Envelope_IsLeftOutRatherThanScoredAsBrokenHeaders()
    {
        rspamd.EnsureAvailable();
        using var services = SpamMessages.Services(b => b.AddRspamd(o => o.Url = rspamd.Url));
        var context = new SpamCheckContext
        {
            Connection = new MailConnectionInfo(System.Net.IPAddress.Parse("192.0.2.10"), "mail.example.com", "jörg@example.com"),
            Recipients = ["bjørn@example.org", "carol@example.org"],
            AuthenticatedUser = "jörg",
        };

        var verdict = await services.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.HamMessage(), context);

        Assert.True(verdict.Origin == SpamVerdictOrigin.Server, $"{verdict}\n{rspamd.Log}");
        var names = string.Join(", ", verdict.Symbols.Select(s => s.Name));
        Assert.DoesNotContain("BROKEN_HEADERS", names, StringComparison.Ordinal);
        // Only carol is in the envelope now: some, not all, of the To addresses match it.
        Assert.True(names.Contains("TO_MATCH_ENVRCPT_SOME", StringComparison.Ordinal), names);
    }

    [SkippableFact]
    public async Task ClassifyAsync_ControllerWithPassword_ClassifiesAndNeverLogsThePassword()
    {
        rspamd.EnsureAvailable();
        var logs = new CapturingLoggerProvider();
        using var services = SpamMessages.Services(b =>
        {
            b.Services.AddLogging(l => l.AddProvider(logs));
            b.AddRspamd(o => (o.Url, o.Password) = (rspamd.ControllerUrl, RspamdFixture.Password));
        });

        var verdict = await services.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage());

        Assert.Equal((SpamVerdictOrigin.Server, SpamAction.Reject), (verdict.Origin, verdict.Action));
        Assert.DoesNotContain(RspamdFixture.Password, logs.AllText, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ClassifyAsync_StoppedServer_GivesTheConfiguredFailureMode()
    {
        rspamd.EnsureAvailable();
        await using var own = await RspamdFixture.StartAsync();
        using var open = SpamMessages.Services(b => b.AddRspamd(o => o.Url = own.Url));
        using var closed = SpamMessages.Services(b => b.AddRspamd(o => (o.Url, o.FailureMode) = (own.Url, SpamFailureMode.FailClosed)));
        var before = await open.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage());

        await own.StopAsync();
        var after = await open.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage());
        var error = await Assert.ThrowsAsync<SpamCheckException>(async () =>
            await closed.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage()));

        Assert.Equal((SpamVerdictOrigin.Server, SpamAction.Reject), (before.Origin, before.Action));
        Assert.Equal((SpamVerdictOrigin.Failure, SpamAction.NoAction, false), (after.Origin, after.Action, after.IsSpam));
        Assert.Contains("the request failed", after.Reason, StringComparison.Ordinal);
        Assert.Contains("Mailing:Rspamd:FailureMode is FailClosed", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Keeps every log line with its exception, so a test can search them for secrets.</summary>
internal sealed class CapturingLoggerProvider : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> lines = new();

    public string AllText => string.Join("\n", lines);

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        lines.Enqueue(formatter(state, exception) + exception);

    public void Dispose()
    {
    }
}
