using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Sieve;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.IntegrationTests.Sieve;

/// <summary>
/// <see cref="IMailboxFilters"/> end to end: filters installed through ManageSieve, mail delivered by Dovecot's LMTP,
/// vacation replies captured by the fixture's SMTP sink, filed mail checked over IMAP.
/// </summary>
[Collection(DovecotFixture.Collection)]
public sealed class MailboxFiltersDovecotTests(DovecotFixture dovecot)
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task SetVacation_TwoMessagesFromOneSender_SendsExactlyOneReply()
    {
        dovecot.EnsureSieveAvailable();
        var account = SieveTestHost.NewAccount(dovecot, "vacation");
        const string sender = "customer@example.org";
        await using var provider = SieveTestHost.Build(dovecot, account);
        var filters = provider.GetRequiredService<IMailboxFilters>();

        await filters.SetVacationAsync(new VacationReply
        {
            Subject = "Out of office until Monday",
            Body = "Thank you for your message.\nI am away and answer on Monday.",
            Days = 1,
        });
        var first = await dovecot.DeliverAsync(sender, account, SieveTestHost.Message(sender, account, "Question one"));
        await SieveTestHost.WaitForAsync(() => dovecot.Outbox!.To(sender).Count > 0, ReplyTimeout);
        var second = await dovecot.DeliverAsync(sender, account, SieveTestHost.Message(sender, account, "Question two"));
        // The second message is in the mailbox (delivered) before Dovecot would have sent a second reply.
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.StartsWith("250", first);
        Assert.StartsWith("250", second);
        var replies = dovecot.Outbox!.To(sender);
        var reply = Assert.Single(replies).Parse();
        Assert.Equal("", replies[0].From); // RFC 3834: an automatic reply goes out with a null return path
        Assert.Equal("Out of office until Monday", reply.Subject);
        Assert.Contains("answer on Monday", reply.TextBody);
        Assert.StartsWith("auto-replied", reply.Headers["Auto-Submitted"]); // Pigeonhole adds a comment: "auto-replied (vacation)"
        Assert.Equal(2, await dovecot.CountAsync(account, "INBOX"));
        Assert.True((await filters.GetAsync()).HasVacation);
    }

    [SkippableFact]
    public async Task SetRule_FileIntoWithCreate_FilesMatchingMailAndLeavesTheRest()
    {
        dovecot.EnsureSieveAvailable();
        var account = SieveTestHost.NewAccount(dovecot, "fileinto");
        await using var provider = SieveTestHost.Build(dovecot, account);
        var filters = provider.GetRequiredService<IMailboxFilters>();

        await filters.SetRuleAsync(new SieveRule("invoices",
            SieveTest.Header("Subject", SieveMatch.Contains, "invoice"),
            SieveAction.FileInto("Billing/Invoices", create: true), SieveAction.AddFlags("$Invoice"), SieveAction.Stop()));
        await dovecot.DeliverAsync("billing@example.org", account, SieveTestHost.Message("billing@example.org", account, "Your invoice 2026-12"));
        await dovecot.DeliverAsync("friend@example.org", account, SieveTestHost.Message("friend@example.org", account, "Lunch?"));

        Assert.Equal(1, await dovecot.CountAsync(account, "Billing/Invoices"));
        Assert.Equal(1, await dovecot.CountAsync(account, "INBOX"));
        var installed = await filters.GetAsync();
        Assert.Equal(["invoices"], installed.Rules);
        Assert.Contains(installed.Scripts, s => s.Name == "mailing-toolkit" && s.IsActive);
    }

    [SkippableFact]
    public async Task Filters_WithAHandWrittenActiveScript_IncludeItUnchangedAndRestoreItWhenCleared()
    {
        dovecot.EnsureSieveAvailable();
        var account = SieveTestHost.NewAccount(dovecot, "handwritten");
        const string mine = "require [\"fileinto\", \"mailbox\"];\r\nif address :is \"from\" \"mum@example.org\" { fileinto :create \"Family\"; }\r\n";
        const string sender = "mum@example.org";
        await using var provider = SieveTestHost.Build(dovecot, account);
        await using (var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync())
        {
            await session.PutScriptAsync("mine", mine);
            await session.SetActiveAsync("mine");
        }

        var filters = provider.GetRequiredService<IMailboxFilters>();
        await filters.SetVacationAsync(new VacationReply { Body = "Away.", Interval = TimeSpan.FromSeconds(5) });
        await filters.SetRuleAsync(new SieveRule("flag-urgent", SieveTest.Header("Subject", SieveMatch.Contains, "urgent"), SieveAction.AddFlags("\\Flagged")));
        var during = await filters.GetAsync();
        await dovecot.DeliverAsync(sender, account, SieveTestHost.Message(sender, account, "Sunday"));
        await SieveTestHost.WaitForAsync(() => dovecot.Outbox!.To(sender).Count > 0, ReplyTimeout);
        await filters.ClearVacationAsync();
        Assert.True(await filters.RemoveRuleAsync("flag-urgent"));
        Assert.False(await filters.RemoveRuleAsync("flag-urgent"));
        var after = await filters.GetAsync();

        Assert.Equal(["flag-urgent"], during.Rules);
        Assert.True(during.HasVacation);
        Assert.Equal("mine", during.UserScript);
        // The user's script ran (filed into Family) and so did the vacation reply: both parts of one delivery.
        Assert.Equal(1, await dovecot.CountAsync(account, "Family"));
        Assert.Single(dovecot.Outbox!.To(sender));
        Assert.Empty(after.Rules);
        Assert.False(after.HasVacation);
        Assert.Equal([new SieveScriptInfo("mine", true)], after.Scripts);
        await using var check = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync();
        Assert.Equal(mine, await check.GetScriptAsync("mine"));
    }

    [SkippableFact]
    public async Task Builder_EveryTestAndAction_PassesTheServersCheckScript()
    {
        dovecot.EnsureSieveAvailable();
        await using var provider = SieveTestHost.Build(dovecot, dovecot.CreateUser("builder"));
        await using var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync();
        // User text with every character that could end a Sieve string early.
        const string hostile = "a \"quoted\" \\ back\\slash; } { stop; ${var}";
        var script = new SieveScriptBuilder()
            .Add(new SieveRule("spam", SieveTest.SpamFlagged, SieveAction.FileInto("Junk", create: true), SieveAction.Stop()))
            .Add(new SieveRule("all", SieveTest.AllOf(
                    SieveTest.Address(["From", "Sender"], SieveMatch.Is, ["boss@example.org"], SieveAddressPart.All),
                    SieveTest.Address(["To"], SieveMatch.Is, ["example.test"], SieveAddressPart.Domain),
                    SieveTest.Envelope(recipient: false, SieveMatch.Matches, ["*@example.org"], SieveAddressPart.All),
                    SieveTest.Not(SieveTest.SizeOver(1_000_000)),
                    SieveTest.AnyOf(SieveTest.Exists("X-Priority"), SieveTest.SizeUnder(10), SieveTest.Header("Subject", SieveMatch.Contains, hostile))),
                SieveAction.AddFlags("\\Flagged", "$Boss"), SieveAction.FileInto("Boss", copy: true), SieveAction.Redirect("assistant@example.org", copy: true), SieveAction.Keep()))
            .Add(new SieveRule("reject", SieveTest.Header("Subject", SieveMatch.Is, "unsubscribe me"), SieveAction.Reject("Not here.\n" + hostile)))
            .Add(new SieveRule("drop", SieveTest.Header("X-Drop", SieveMatch.Is, "yes"), SieveAction.Discard()))
            .Add(null, SieveAction.Vacation(new VacationReply
            {
                Subject = hostile,
                Body = hostile + "\r\nsecond line",
                HtmlBody = "<p>" + hostile + "</p>",
                From = "me@example.test",
                Addresses = ["alias@example.test", "other@example.test"],
                Handle = "away-2026",
                Interval = TimeSpan.FromHours(12),
            }))
            .Build();

        var check = await session.CheckScriptAsync(script);

        Assert.True(check.IsValid, check.Message + "\n" + script);
    }
}
