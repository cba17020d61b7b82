using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.IntegrationTests.Security;

/// <summary>The spamd client against a real SpamAssassin spamd (Debian's packages and shipped rules).</summary>
[Collection(SpamdFixture.Collection)]
public sealed class SpamAssassinClassifierTests(SpamdFixture spamd)
{
    [SkippableTheory]
    [InlineData(SpamdCommand.Report)]
    [InlineData(SpamdCommand.Symbols)]
    [InlineData(SpamdCommand.Check)]
    public async Task ClassifyAsync_Gtube_GivesReject(SpamdCommand command)
    {
        spamd.EnsureAvailable();
        using var services = Services(o => o.Command = command);

        var verdict = await services.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage(), SpamMessages.Context());

        Assert.True(verdict.Origin == SpamVerdictOrigin.Server, $"{verdict}\n{spamd.Log}");
        Assert.Equal((SpamAction.Reject, true, "spamassassin"), (verdict.Action, verdict.IsSpam, verdict.Classifier));
        Assert.True(verdict.Score >= 1000, verdict.ToString());
        Assert.Equal(5.0, verdict.Threshold);
        if (command == SpamdCommand.Check)
            Assert.Empty(verdict.Symbols);
        else
            Assert.Equal("GTUBE", verdict.Symbols[0].Name);
        if (command == SpamdCommand.Report)
            Assert.Equal((1000.0, "BODY: Generic Test for Unsolicited Bulk Email"), (verdict.Symbols[0].Score, verdict.Symbols[0].Description));
    }

    [SkippableFact]
    public async Task ClassifyAsync_PlainHam_GivesNoAction()
    {
        spamd.EnsureAvailable();
        using var services = Services(_ => { });

        var verdict = await services.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.HamMessage(), SpamMessages.Context());

        Assert.True(verdict.Origin == SpamVerdictOrigin.Server, $"{verdict}\n{spamd.Log}");
        Assert.Equal((SpamAction.NoAction, false), (verdict.Action, verdict.IsSpam));
        Assert.True(verdict.Score < verdict.Threshold, verdict.ToString());
    }

    [SkippableFact]
    public async Task ClassifyAsync_StoppedServer_GivesTheConfiguredFailureMode()
    {
        spamd.EnsureAvailable();
        await using var own = await SpamdFixture.StartAsync();
        using var open = Services(o => o.Port = own.Port);
        using var closed = Services(o => (o.Port, o.FailureMode) = (own.Port, SpamFailureMode.FailClosed));
        var before = await open.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage());

        await own.StopAsync();
        var after = await open.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage());
        var error = await Assert.ThrowsAsync<SpamCheckException>(async () =>
            await closed.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamMessages.GtubeMessage()));

        Assert.Equal((SpamVerdictOrigin.Server, SpamAction.Reject), (before.Origin, before.Action));
        Assert.Equal((SpamVerdictOrigin.Failure, SpamAction.NoAction, false), (after.Origin, after.Action, after.IsSpam));
        Assert.Contains("could not connect", after.Reason, StringComparison.Ordinal);
        Assert.Contains("Mailing:SpamAssassin:FailureMode is FailClosed", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ClassifyAsync_BothClassifiersAdded_SpamAssassinByKey()
    {
        spamd.EnsureAvailable();
        using var services = SpamMessages.Services(b => b.AddRspamd().AddSpamAssassin(o => (o.Host, o.Port) = (spamd.Host, spamd.Port)));

        var verdict = await services.GetRequiredKeyedService<ISpamClassifier>(MailingBuilderSpamExtensions.SpamAssassinKey).ClassifyAsync(SpamMessages.GtubeMessage());

        Assert.Equal(("spamassassin", SpamAction.Reject), (verdict.Classifier, verdict.Action));
    }

    private ServiceProvider Services(Action<SpamAssassinOptions> configure) =>
        SpamMessages.Services(b => b.AddSpamAssassin(o =>
        {
            (o.Host, o.Port) = (spamd.Host, spamd.Port);
            configure(o);
        }));
}
