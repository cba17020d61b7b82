using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Integrations;
using Mailing.Toolkit.Outbox;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>
/// The behaviour every store promises, run against each engine (in memory, SQLite, PostgreSQL) by a subclass that
/// says how to build the services. Each test gets fresh storage and a fake clock.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private ServiceProvider? provider;
    private SkipException? unavailable;

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    /// <summary>The container under test; skips the test when its engine is not available here.</summary>
    private ServiceProvider Services => unavailable is null ? provider! : throw unavailable;

    protected IMailOutboxStore Outbox => Services.GetRequiredService<IMailOutboxStore>();

    protected IAutoReplyHistory History => Services.GetRequiredService<IAutoReplyHistory>();

    protected IMailboxStateStore Positions => Services.GetRequiredService<IMailboxStateStore>();

    protected ISuppressionList Suppression => Services.GetRequiredService<ISuppressionList>();

    protected IInboundDeduplicationStore Deduplication => Services.GetRequiredService<IInboundDeduplicationStore>();

    /// <summary>Adds the store registrations under test (for example <c>UseSqlite</c>) to a builder with the outbox added.</summary>
    protected abstract Task ConfigureAsync(IMailingBuilder builder);

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        var builder = services.AddMailing(o => o.DefaultFrom = "App <app@example.test>").AddOutbox(o => { o.Background = false; o.MaxMessageBytes = 64 * 1024; });
        try
        {
            await ConfigureAsync(builder);
        }
        catch (SkipException skip)
        {
            // Thrown here it would fail the test; rethrown from the test body it skips it.
            unavailable = skip;
        }

        provider = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        if (provider is not null)
            await provider.DisposeAsync();
    }


    [SkippableFact]
    public async Task Enqueue_ThenLease_ReturnsTheStoredMessageAndMarksItSending()
    {
        var queued = await Outbox.EnqueueAsync(OutboxMessages.Create("First"));

        var leases = await Outbox.LeaseAsync(10, TimeSpan.FromMinutes(1));

        var lease = Assert.Single(leases);
        Assert.Equal(queued.Id, lease.Id);
        Assert.Equal(1, lease.Attempt);
        Assert.Equal(queued.MessageId, lease.MessageId);
        var loaded = MimeMessage.Load(new MemoryStream(lease.Message.ToArray()));
        Assert.Equal("First", loaded.Subject);
        Assert.Equal(queued.MessageId, loaded.MessageId);
        var row = await Outbox.GetAsync(queued.Id);
        Assert.Equal(OutboxState.Sending, row!.State);
        Assert.Equal("bob@example.test", row.Recipients);
        Assert.Empty(await Outbox.LeaseAsync(10, TimeSpan.FromMinutes(1)));
    }

    [SkippableFact]
    public async Task Enqueue_MessageWithoutFrom_GetsTheDefaultFromAndAMessageId()
    {
        var message = OutboxMessages.Create();
        message.From.Clear();

        var queued = await Outbox.EnqueueAsync(message);

        Assert.False(string.IsNullOrEmpty(queued.MessageId));
        Assert.Equal("app@example.test", message.From.Mailboxes.Single().Address);
    }

    [SkippableFact]
    public async Task Enqueue_SameIdempotencyKeyTwice_StoresOneRowAndReturnsIt()
    {
        var first = await Outbox.EnqueueAsync(OutboxMessages.Create("One"), new OutboxEnqueueOptions { IdempotencyKey = "order-42-confirmation" });
        var second = await Outbox.EnqueueAsync(OutboxMessages.Create("Two"), new OutboxEnqueueOptions { IdempotencyKey = "order-42-confirmation" });

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Single(await Outbox.ListAsync());
    }

    [SkippableFact]
    public async Task Enqueue_InvalidInput_IsRefusedWithTheReasonAndNothingIsQueued()
    {
        var tooLarge = OutboxMessages.Create();
        tooLarge.Body = new TextPart("plain") { Text = new string('x', 100 * 1024) };
        var noRecipient = OutboxMessages.Create();
        noRecipient.To.Clear();
        var injected = OutboxMessages.Create();
        var header = new Header("X-Note", "fine");
        header.SetRawValue(System.Text.Encoding.ASCII.GetBytes(" fine\r\nBcc: victim@example.test\r\n"));
        injected.Headers.Add(header);

        Assert.Contains("MaxMessageBytes", (await Assert.ThrowsAsync<ArgumentException>(() => Outbox.EnqueueAsync(tooLarge))).Message);
        Assert.Contains("recipient", (await Assert.ThrowsAsync<ArgumentException>(() => Outbox.EnqueueAsync(noRecipient))).Message);
        Assert.Contains("inject", (await Assert.ThrowsAsync<ArgumentException>(() => Outbox.EnqueueAsync(injected))).Message);
        Assert.Contains("idempotency key", (await Assert.ThrowsAsync<ArgumentException>(() => Outbox.EnqueueAsync(OutboxMessages.Create(), new OutboxEnqueueOptions { IdempotencyKey = new string('k', 201) }))).Message);
        Assert.Empty(await Outbox.ListAsync());
    }

    [SkippableFact]
    public async Task Lease_ScheduledMessage_IsNotLeasedBeforeItsTime()
    {
        await Outbox.EnqueueAsync(OutboxMessages.Create(), new OutboxEnqueueOptions { NotBefore = Time.GetUtcNow().AddHours(1) });

        Assert.Empty(await Outbox.LeaseAsync(10, TimeSpan.FromMinutes(1)));
        Assert.Equal(1, (await Outbox.GetStatisticsAsync()).Pending);
        Assert.Equal(0, (await Outbox.GetStatisticsAsync()).Due);

        Time.Advance(TimeSpan.FromHours(1));
        Assert.Single(await Outbox.LeaseAsync(10, TimeSpan.FromMinutes(1)));
    }

    [SkippableFact]
    public async Task Lease_HigherPriorityFirst_ThenOldestDue()
    {
        var low = await Outbox.EnqueueAsync(OutboxMessages.Create("low"));
        Time.Advance(TimeSpan.FromSeconds(1));
        var urgent = await Outbox.EnqueueAsync(OutboxMessages.Create("urgent"), new OutboxEnqueueOptions { Priority = 5 });
        Time.Advance(TimeSpan.FromSeconds(1));
        var later = await Outbox.EnqueueAsync(OutboxMessages.Create("later"));

        var order = new List<long>();
        for (var i = 0; i < 3; i++)
            order.Add(Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1))).Id);

        Assert.Equal([urgent.Id, low.Id, later.Id], order);
    }

    [SkippableFact]
    public async Task Lease_Expired_IsTakenOverAndTheOldLeaseCanNoLongerComplete()
    {
        await Outbox.EnqueueAsync(OutboxMessages.Create());
        var first = Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1)));

        Time.Advance(TimeSpan.FromMinutes(1));
        var second = Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1)));

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(2, second.Attempt);
        Assert.False(await Outbox.CompleteAsync(first, OutboxCompletion.Sent("250 late")));
        Assert.True(await Outbox.CompleteAsync(second, OutboxCompletion.Sent("250 2.0.0 Ok: queued as ABC")));
        var row = await Outbox.GetAsync(second.Id);
        Assert.Equal(OutboxState.Sent, row!.State);
        Assert.Equal("250 2.0.0 Ok: queued as ABC", row.Response);
        Assert.Equal(Time.GetUtcNow(), row.FinishedAt);
    }

    [SkippableFact]
    public async Task Complete_ABatchOfOutcomes_RecordsEachUnderItsOwnLease_AndRefusesTheStaleOne()
    {
        for (var i = 0; i < 5; i++)
            await Outbox.EnqueueAsync(OutboxMessages.Create($"m{i}"));
        var stale = Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1)));
        Time.Advance(TimeSpan.FromMinutes(1));
        var leases = await Outbox.LeaseAsync(10, TimeSpan.FromMinutes(5));
        Assert.Equal(5, leases.Count);
        var outcomes = new List<OutboxOutcome> { new(stale, OutboxCompletion.Sent("250 late")) };
        outcomes.AddRange(leases.Select((l, i) => new OutboxOutcome(l, i switch
        {
            0 => OutboxCompletion.Failed("rejected 550 5.1.1: no such user"),
            1 => OutboxCompletion.Retry(Time.GetUtcNow().AddMinutes(3), "rate_limited 451 4.7.1"),
            2 => OutboxCompletion.MaybeDelivered("timeout after the data"),
            _ => OutboxCompletion.Sent($"250 2.0.0 queued as {i}"),
        })));

        var recorded = await Outbox.CompleteAsync(outcomes);

        Assert.Equal([false, true, true, true, true, true], recorded);
        Assert.Equal(OutboxState.Failed, (await Outbox.GetAsync(leases[0].Id))!.State);
        Assert.Equal("rejected 550 5.1.1: no such user", (await Outbox.GetAsync(leases[0].Id))!.LastError);
        var retried = await Outbox.GetAsync(leases[1].Id);
        Assert.Equal(OutboxState.Queued, retried!.State);
        Assert.Equal(SqlTime(Time.GetUtcNow().AddMinutes(3)), SqlTime(retried.DueAt));
        Assert.Equal(OutboxState.MaybeDelivered, (await Outbox.GetAsync(leases[2].Id))!.State);
        Assert.Equal("250 2.0.0 queued as 4", (await Outbox.GetAsync(leases[4].Id))!.Response);
        Assert.Empty(await Outbox.CompleteAsync([]));
    }

    [SkippableFact]
    public async Task Complete_Retry_QueuesTheRowAgainAtTheRetryTimeWithTheError()
    {
        await Outbox.EnqueueAsync(OutboxMessages.Create());
        var lease = Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(5)));

        Assert.True(await Outbox.CompleteAsync(lease, OutboxCompletion.Retry(Time.GetUtcNow().AddMinutes(2), "rate_limited 451 4.7.1: try later")));

        Assert.Empty(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(5)));
        var row = await Outbox.GetAsync(lease.Id);
        Assert.Equal(OutboxState.Queued, row!.State);
        Assert.Equal("rate_limited 451 4.7.1: try later", row.LastError);
        Assert.Null(row.FinishedAt);
        Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(2, Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(5))).Attempt);
    }

    [SkippableFact]
    public async Task FailedAndMaybeDelivered_AreNeverLeasedAgain_UntilRequeued()
    {
        await Outbox.EnqueueAsync(OutboxMessages.Create("dead"));
        await Outbox.EnqueueAsync(OutboxMessages.Create("maybe"));
        var leases = await Outbox.LeaseAsync(2, TimeSpan.FromMinutes(1));
        var dead = leases.Single(l => LoadSubject(l) == "dead");
        var maybe = leases.Single(l => LoadSubject(l) == "maybe");
        await Outbox.CompleteAsync(dead, OutboxCompletion.Failed("rejected 550 5.1.1: no such user"));
        await Outbox.CompleteAsync(maybe, OutboxCompletion.MaybeDelivered("timeout after the end of the data"));

        Time.Advance(TimeSpan.FromDays(1));
        Assert.Empty(await Outbox.LeaseAsync(10, TimeSpan.FromMinutes(1)));
        var statistics = await Outbox.GetStatisticsAsync();
        Assert.Equal(1, statistics.Failed);
        Assert.Equal(1, statistics.MaybeDelivered);
        Assert.Equal(0, statistics.Pending);
        Assert.Equal(OutboxState.Failed, (await Outbox.GetAsync(dead.Id))!.State);
        Assert.Equal("rejected 550 5.1.1: no such user", (await Outbox.GetAsync(dead.Id))!.LastError);

        Assert.True(await Outbox.RequeueAsync(dead.Id));
        Assert.False(await Outbox.RequeueAsync(dead.Id));
        var again = Assert.Single(await Outbox.LeaseAsync(10, TimeSpan.FromMinutes(1)));
        Assert.Equal(dead.Id, again.Id);
        Assert.Equal(1, again.Attempt);
    }

    [SkippableFact]
    public async Task Cancel_AQueuedOrAFinishedFailure_ButNeverOneBeingSentOrSent()
    {
        var queued = await Outbox.EnqueueAsync(OutboxMessages.Create("a"));
        var sending = await Outbox.EnqueueAsync(OutboxMessages.Create("b"), new OutboxEnqueueOptions { Priority = 2 });
        var maybe = await Outbox.EnqueueAsync(OutboxMessages.Create("c"), new OutboxEnqueueOptions { Priority = 1 });
        Assert.Equal(sending.Id, Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1))).Id);
        var maybeLease = Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1)));
        await Outbox.CompleteAsync(maybeLease, OutboxCompletion.MaybeDelivered("timeout after the data"));

        Assert.True(await Outbox.CancelAsync(queued.Id));
        Assert.False(await Outbox.CancelAsync(queued.Id));
        Assert.False(await Outbox.CancelAsync(sending.Id));
        Assert.False(await Outbox.CancelAsync(12345));
        Assert.True(await Outbox.CancelAsync(maybe.Id));
        Assert.Equal(OutboxState.Cancelled, (await Outbox.GetAsync(queued.Id))!.State);
        Assert.Equal(OutboxState.Cancelled, (await Outbox.GetAsync(maybe.Id))!.State);
        Assert.Equal(0, (await Outbox.GetStatisticsAsync()).MaybeDelivered);
        Assert.Empty(await Outbox.LeaseAsync(10, TimeSpan.FromMinutes(1)));
        Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(2, await Outbox.PurgeAsync(Time.GetUtcNow()));
    }

    [SkippableFact]
    public async Task Purge_RemovesOnlyFinishedRowsOlderThanTheCutoff_AndFreesTheirIdempotencyKeys()
    {
        var old = await Outbox.EnqueueAsync(OutboxMessages.Create("old"), new OutboxEnqueueOptions { IdempotencyKey = "k-old" });
        var oldLease = Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1)));
        await Outbox.CompleteAsync(oldLease, OutboxCompletion.Sent("250 ok"));
        var failed = await Outbox.EnqueueAsync(OutboxMessages.Create("failed"));
        await Outbox.CompleteAsync(Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1))), OutboxCompletion.Failed("550"));
        Time.Advance(TimeSpan.FromDays(8));
        var recent = await Outbox.EnqueueAsync(OutboxMessages.Create("recent"));
        await Outbox.CompleteAsync(Assert.Single(await Outbox.LeaseAsync(1, TimeSpan.FromMinutes(1))), OutboxCompletion.Sent("250 ok"));

        Assert.Equal(1, await Outbox.PurgeAsync(Time.GetUtcNow().AddDays(-7)));

        Assert.Null(await Outbox.GetAsync(old.Id));
        Assert.NotNull(await Outbox.GetAsync(failed.Id));
        Assert.NotNull(await Outbox.GetAsync(recent.Id));
        Assert.True((await Outbox.EnqueueAsync(OutboxMessages.Create("old again"), new OutboxEnqueueOptions { IdempotencyKey = "k-old" })).Created);
    }

    [SkippableFact]
    public async Task List_FiltersByStateAndPagesNewestFirst()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
            ids.Add((await Outbox.EnqueueAsync(OutboxMessages.Create($"m{i}"))).Id);
        await Outbox.CancelAsync(ids[1]);

        var firstPage = await Outbox.ListAsync(new OutboxQuery { Limit = 2 });
        var secondPage = await Outbox.ListAsync(new OutboxQuery { Limit = 2, BeforeId = firstPage[^1].Id });
        var cancelled = await Outbox.ListAsync(new OutboxQuery { State = OutboxState.Cancelled });

        Assert.Equal([ids[4], ids[3]], firstPage.Select(m => m.Id));
        Assert.Equal([ids[2], ids[1]], secondPage.Select(m => m.Id));
        Assert.Equal(ids[1], Assert.Single(cancelled).Id);
        Assert.Equal("m1", cancelled[0].Subject);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Outbox.ListAsync(new OutboxQuery { Limit = 0 }));
    }

    [SkippableFact]
    public async Task Statistics_CountDueRowsAndTheOldestDueTime()
    {
        var start = Time.GetUtcNow();
        await Outbox.EnqueueAsync(OutboxMessages.Create("a"));
        Time.Advance(TimeSpan.FromMinutes(1));
        await Outbox.EnqueueAsync(OutboxMessages.Create("b"));
        await Outbox.EnqueueAsync(OutboxMessages.Create("c"), new OutboxEnqueueOptions { NotBefore = start.AddHours(2) });

        var statistics = await Outbox.GetStatisticsAsync();

        Assert.Equal(3, statistics.Pending);
        Assert.Equal(2, statistics.Due);
        Assert.Equal(start, statistics.OldestDueAt);
    }

    [SkippableFact]
    public async Task Lease_ManyConcurrentWorkers_EachRowGoesToExactlyOneOfThem()
    {
        const int Rows = 200;
        for (var i = 0; i < Rows; i++)
            await Outbox.EnqueueAsync(OutboxMessages.Create($"m{i}"));

        var leased = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var mine = new List<long>();
            while (true)
            {
                var batch = await Outbox.LeaseAsync(7, TimeSpan.FromMinutes(5));
                if (batch.Count == 0)
                    return mine;
                mine.AddRange(batch.Select(l => l.Id));
            }
        })));

        var all = leased.SelectMany(l => l).ToArray();
        Assert.Equal(Rows, all.Length);
        Assert.Equal(Rows, all.Distinct().Count());
    }

    [SkippableFact]
    public async Task AutoReplyHistory_ConcurrentRepliesToOneSender_ExactlyOneIsRecorded()
    {
        var now = Time.GetUtcNow();
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
            await History.TryRecordAsync("support@example.test", "customer@example.test", now, TimeSpan.FromDays(1)))));

        Assert.Equal(1, results.Count(r => r));
        Assert.False(await History.TryRecordAsync("support@example.test", "customer@example.test", now.AddHours(23), TimeSpan.FromDays(1)));
        Assert.True(await History.TryRecordAsync("sales@example.test", "customer@example.test", now, TimeSpan.FromDays(1)));
        Assert.True(await History.TryRecordAsync("support@example.test", "customer@example.test", now.AddDays(1), TimeSpan.FromDays(1)));
    }

    [SkippableFact]
    public async Task AutoReplyHistory_Remove_ForgetsOnlyTheReplyRecordedAtThatTime()
    {
        var first = Time.GetUtcNow().AddTicks(1234567);
        Assert.True(await History.TryRecordAsync("support@example.test", "c@example.test", first, TimeSpan.FromHours(1)));

        await History.RemoveAsync("support@example.test", "c@example.test", first.AddSeconds(1));
        Assert.False(await History.TryRecordAsync("support@example.test", "c@example.test", first.AddMinutes(1), TimeSpan.FromHours(1)));

        await History.RemoveAsync("support@example.test", "c@example.test", first);
        Assert.True(await History.TryRecordAsync("support@example.test", "c@example.test", first.AddMinutes(1), TimeSpan.FromHours(1)));
    }

    [SkippableFact]
    public async Task MailboxState_ConcurrentUpdates_NeverLoseAChange()
    {
        Skip.If(Services.GetService<IMailboxStateStore>() is null, "the core's in-memory positions are internal to the receivers");
        const string Key = "imap://user@mail.example.test:993/INBOX";
        Assert.Null(await Positions.GetAsync(Key));

        await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => Task.Run(async () =>
            await Positions.UpdateAsync(Key, s => (s ?? new MailboxState { UidValidity = 77 }) with { LastUid = (s?.LastUid ?? 0) + 1, HandledIds = [.. s?.HandledIds ?? [], "x"] }))));

        var state = await Positions.GetAsync(Key);
        Assert.Equal(25, state!.LastUid);
        Assert.Equal(77, state.UidValidity);
        Assert.Equal(25, state.HandledIds.Count);
        Assert.NotNull(state.UpdatedAt);
        Assert.Null(await Positions.GetAsync("pop3://other@mail.example.test:995"));
    }

    [SkippableFact]
    public async Task Suppression_AllCategoriesEntryBlocksEveryCategory_ACategoryEntryOnlyItsOwn()
    {
        var at = Time.GetUtcNow();
        Assert.True(await Suppression.AddAsync(new SuppressionEntry { Address = "Gone@Example.TEST", Reason = SuppressionReason.HardBounce, CreatedAt = at, Detail = "550 5.1.1" }));
        Assert.True(await Suppression.AddAsync(new SuppressionEntry { Address = "reader@example.test", Reason = SuppressionReason.Unsubscribe, Category = "newsletter", CreatedAt = at }));

        Assert.Equal(SuppressionReason.HardBounce, (await Suppression.FindAsync("gone@example.test", "password-reset"))!.Reason);
        Assert.Equal("gone@example.test", (await Suppression.FindAsync("GONE@example.test"))!.Address);
        Assert.NotNull(await Suppression.FindAsync("reader@example.test", "newsletter"));
        Assert.Null(await Suppression.FindAsync("reader@example.test", "password-reset"));
        Assert.Null(await Suppression.FindAsync("reader@example.test"));
        Assert.Null(await Suppression.FindAsync("someone@example.test"));

        Assert.False(await Suppression.AddAsync(new SuppressionEntry { Address = "gone@example.test", Reason = SuppressionReason.Complaint, CreatedAt = at.AddDays(1) }));
        Assert.Equal(SuppressionReason.Complaint, (await Suppression.FindAsync("gone@example.test"))!.Reason);
        Assert.True(await Suppression.RemoveAsync("gone@example.test"));
        Assert.False(await Suppression.RemoveAsync("gone@example.test"));
        Assert.Null(await Suppression.FindAsync("gone@example.test"));
        await Assert.ThrowsAsync<ArgumentException>(() => Suppression.FindAsync("not-an-address"));
    }

    [SkippableFact]
    public async Task Suppression_List_PagesInAddressAndCategoryOrder()
    {
        var at = Time.GetUtcNow();
        foreach (var (address, category) in new[] { ("c@example.test", (string?)null), ("a@example.test", "news"), ("a@example.test", null), ("b@example.test", "news"), ("a@example.test", "promo") })
            await Suppression.AddAsync(new SuppressionEntry { Address = address, Category = category, Reason = SuppressionReason.Manual, CreatedAt = at });

        var first = await Suppression.ListAsync(new SuppressionQuery { Limit = 2 });
        var rest = await Suppression.ListAsync(new SuppressionQuery { Limit = 10, AfterAddress = first[^1].Address, AfterCategory = first[^1].Category });

        Assert.Equal(["a@example.test/", "a@example.test/news"], first.Select(e => $"{e.Address}/{e.Category}"));
        Assert.Equal(["a@example.test/promo", "b@example.test/news", "c@example.test/"], rest.Select(e => $"{e.Address}/{e.Category}"));
    }

    [SkippableFact]
    public async Task Deduplication_BeginCompleteRelease_AndAnExpiredLeaseIsTakenOver()
    {
        var now = Time.GetUtcNow();
        Assert.Equal(DeduplicationResult.Begun, await Deduplication.TryBeginAsync("support", "mid:a@example.test", now, TimeSpan.FromMinutes(10)));
        Assert.Equal(DeduplicationResult.InProgress, await Deduplication.TryBeginAsync("support", "mid:a@example.test", now.AddMinutes(9), TimeSpan.FromMinutes(10)));
        Assert.Equal(DeduplicationResult.Begun, await Deduplication.TryBeginAsync("billing", "mid:a@example.test", now, TimeSpan.FromMinutes(10)));
        Assert.Equal(DeduplicationResult.Begun, await Deduplication.TryBeginAsync("support", "mid:a@example.test", now.AddMinutes(10), TimeSpan.FromMinutes(10)));

        await Deduplication.CompleteAsync("support", "mid:a@example.test", now.AddMinutes(11));
        Assert.Equal(DeduplicationResult.AlreadyHandled, await Deduplication.TryBeginAsync("support", "mid:a@example.test", now.AddDays(1), TimeSpan.FromMinutes(10)));
        await Deduplication.ReleaseAsync("support", "mid:a@example.test");
        Assert.Equal(DeduplicationResult.AlreadyHandled, await Deduplication.TryBeginAsync("support", "mid:a@example.test", now.AddDays(1), TimeSpan.FromMinutes(10)));

        await Deduplication.ReleaseAsync("billing", "mid:a@example.test");
        Assert.Equal(DeduplicationResult.Begun, await Deduplication.TryBeginAsync("billing", "mid:a@example.test", now.AddMinutes(1), TimeSpan.FromMinutes(10)));

        Assert.Equal(1, await Deduplication.PurgeAsync(now.AddDays(2)));
        Assert.Equal(DeduplicationResult.Begun, await Deduplication.TryBeginAsync("support", "mid:a@example.test", now.AddDays(3), TimeSpan.FromMinutes(10)));
    }

    [SkippableFact]
    public async Task Deduplication_ManyInstancesTakingOneMessageAtOnce_ExactlyOneBegins()
    {
        var now = Time.GetUtcNow();
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
            await Deduplication.TryBeginAsync("support", "sha256:00ff", now, TimeSpan.FromMinutes(5)))));

        Assert.Equal(1, results.Count(r => r == DeduplicationResult.Begun));
        Assert.Equal(11, results.Count(r => r == DeduplicationResult.InProgress));
    }

    /// <summary>A time as the databases keep it (microseconds), for comparing a stored time with the one written.</summary>
    private static DateTimeOffset SqlTime(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    private static string LoadSubject(OutboxLease lease) => MimeMessage.Load(new MemoryStream(lease.Message.ToArray())).Subject ?? string.Empty;
}

/// <summary>The contract on the in-memory stores the core registers by default.</summary>
public sealed class InMemoryStoreContractTests : StoreContractTests
{
    protected override Task ConfigureAsync(IMailingBuilder builder)
    {
        builder.AddAutoResponder();
        return Task.CompletedTask;
    }
}
