using System.Collections.Concurrent;
using System.Diagnostics;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using Npgsql;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>The dispatcher on PostgreSQL when the database drops its connections while rows are leased.</summary>
[Collection(PostgresFixture.Collection)]
public sealed class OutboxFaultTests(PostgresFixture postgres)
{
    [SkippableFact]
    public async Task Dispatcher_DatabaseDropsEveryConnectionMidRun_EveryMessageIsStillSentAndRecorded()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        var sent = new ConcurrentBag<string>();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IMailSender>(new SlowSender(sent));
        services.AddMailing().AddOutbox(o =>
        {
            o.Workers = 4;
            o.PollInterval = TimeSpan.FromMilliseconds(50);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(100);
            o.LeaseDuration = TimeSpan.FromSeconds(30);
        }).UsePostgreSql(connectionString);
        await using var provider = services.BuildServiceProvider();
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var queued = new List<OutboxEnqueueResult>();
        for (var i = 0; i < 120; i++)
            queued.Add(await outbox.EnqueueAsync(OutboxMessages.Create($"Order {i}")));

        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);
        var drops = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while ((await TryStatisticsAsync(outbox))?.Pending != 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"Not every message was sent within 60 s; {sent.Count} sent, {drops} connection drops.");
                if (drops < 5 && sent.Count >= 20 * (drops + 1))
                {
                    drops++;
                    await TerminateConnectionsAsync(connectionString);
                }

                await Task.Delay(20);
            }
        }
        finally
        {
            foreach (var service in hosted.Reverse())
                await service.StopAsync(CancellationToken.None);
        }

        Assert.True(drops >= 3, $"Only {drops} connection drops happened; the test did not exercise the fault.");
        Assert.Equal(queued.Select(q => q.MessageId).Order(), sent.Distinct().Order());
        foreach (var row in await outbox.ListAsync(new OutboxQuery { Limit = 1000 }))
            Assert.Equal(OutboxState.Sent, row.State);
    }

    private static async Task<OutboxStatistics?> TryStatisticsAsync(IMailOutbox outbox)
    {
        try
        {
            return await outbox.GetStatisticsAsync();
        }
        catch (NpgsqlException)
        {
            return null; // our own connection was among those dropped
        }
    }

    private static async Task TerminateConnectionsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", connection);
        await command.ExecuteScalarAsync();
    }


    /// <summary>A sender that takes a little while per message, so rows are leased when the connections drop.</summary>
    private sealed class SlowSender(ConcurrentBag<string> sent) : IMailSender
    {
        public Task<SendResult> SendAsync(MailMessage message, CancellationToken cancellationToken = default) =>
            SendAsync(message.ToMimeMessage(), null, cancellationToken);

        public async Task<SendResult> SendAsync(MimeMessage message, MailEnvelope? envelope = null, CancellationToken cancellationToken = default)
        {
            await Task.Delay(15, cancellationToken);
            sent.Add(message.MessageId ?? string.Empty);
            return new SendResult(message.MessageId ?? string.Empty, [new RecipientResult("bob@example.test", true, 250, "2.0.0", "Ok")], "slow", 1, "2.0.0 Ok");
        }
    }
}
