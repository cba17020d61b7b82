using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>
/// Sends the outbox: a leasing loop keeps up to eight leased rows per worker queued, the workers send each through its
/// <see cref="IMailSender"/>, and a recorder writes the outcomes under their leases in batches. Also refreshes the
/// backlog statistics and purges finished rows past the retention.
/// </summary>
internal sealed class OutboxDispatcher(
    IMailOutboxStore store,
    OutboxSignal signal,
    IServiceProvider services,
    OutboxOptions options,
    OutboxTelemetry telemetry,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan StatisticsInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan LeaseRetryBase = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LeaseRetryMax = TimeSpan.FromMinutes(1);
    private const int MaxErrorLength = 2000;

    // Cancelled only when the host's shutdown timeout runs out: a send in progress at StopAsync is finished, not torn.
    private readonly CancellationTokenSource abortSends = new();

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(abortSends.Cancel).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        abortSends.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is InMemoryMailOutbox)
            OutboxLog.InMemoryOnly(logger);
        OutboxLog.Started(logger, store.ToString() ?? store.GetType().Name, options.Workers);

        var maintenance = MaintainAsync(stoppingToken);
        // Leased rows wait here for a worker, up to eight per worker: a worker that finishes finds its next row leased
        // already, and one lease statement serves many sends (a lease takes about as long as several fast sends, so a
        // queue of a row or two per worker would leave the workers waiting for it). Queued rows age by a few sends at
        // most, far inside the lease.
        var queue = Channel.CreateBounded<Queued>(new BoundedChannelOptions(QueueCapacity) { SingleWriter = true });
        var outcomes = Channel.CreateUnbounded<Finished>(new UnboundedChannelOptions { SingleReader = true });
        using var room = new OutboxSignal();
        var workers = Enumerable.Range(0, options.Workers).Select(_ => WorkAsync(queue.Reader, outcomes.Writer, room)).ToArray();
        var recorder = RecordAsync(outcomes.Reader);
        try
        {
            await LeaseAsync(queue, room, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Rows already leased are sent, like a send in progress; then every outcome is recorded.
            queue.Writer.TryComplete();
            await Task.WhenAll(workers).ConfigureAwait(false);
            outcomes.Writer.TryComplete();
            await recorder.ConfigureAwait(false);
            await maintenance.ConfigureAwait(false);
        }
    }

    private int QueueCapacity => options.Workers * 8;

    /// <summary>Keeps the queue filled: leases when it has drained to half, as many rows as fit.</summary>
    private async Task LeaseAsync(Channel<Queued> queue, OutboxSignal room, CancellationToken stoppingToken)
    {
        var capacity = QueueCapacity;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (queue.Reader.Count > capacity / 2)
            {
                await room.WaitAsync(options.PollInterval, time, stoppingToken).ConfigureAwait(false);
                continue;
            }

            var wanted = capacity - queue.Reader.Count;
            IReadOnlyList<OutboxLease> leases;
            try
            {
                leases = await store.LeaseAsync(wanted, options.LeaseDuration, stoppingToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                var delay = ExponentialBackoff.Delay(++failures, LeaseRetryBase, LeaseRetryMax);
                OutboxLog.LeaseFailed(logger, ex, store.ToString() ?? store.GetType().Name, failures, delay);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                continue;
            }

            // The only writer, and no more rows than free places: these never wait.
            var leasedAt = time.GetTimestamp();
            foreach (var lease in leases)
                await queue.Writer.WriteAsync(new Queued(lease, leasedAt), CancellationToken.None).ConfigureAwait(false);
            if (leases.Count < wanted)
                await signal.WaitAsync(options.PollInterval, time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One worker: sends queued rows one at a time and hands each outcome to the recorder without waiting for it.</summary>
    private async Task WorkAsync(ChannelReader<Queued> queue, ChannelWriter<Finished> outcomes, OutboxSignal room)
    {
        // Off the starting thread at once: the workers must not run on the dispatcher's own start.
        await Task.Yield();
        await foreach (var (lease, leasedAt) in queue.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            room.Notify();
            var started = time.GetTimestamp();
            if (time.GetElapsedTime(leasedAt) > options.LeaseDuration / 2)
            {
                // Slow sends ahead of it used up half its lease: sending it now could outlast the lease and let another
                // dispatcher send it too. It goes back to the queue, due at once, unsent.
                outcomes.TryWrite(new Finished(new OutboxOutcome(lease, OutboxCompletion.Retry(time.GetUtcNow(), "Released unsent: it waited in the dispatcher's queue for more than half its lease.")), started));
                continue;
            }

            OutboxCompletion completion;
            try
            {
                completion = await SendAsync(lease).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abortSends.IsCancellationRequested)
            {
                // The host gave up waiting: the row stays leased and is sent again when the lease expires.
                continue;
            }
            catch (Exception ex)
            {
                // Outside the send itself (a sender that cannot be built from its options, for example): retried like
                // a transient failure, and dead-lettered after the last attempt, never left leased in silence.
                completion = RetryOrFail(lease, ex, $"{ex.GetType().Name}: {ex.Message}");
            }

            outcomes.TryWrite(new Finished(new OutboxOutcome(lease, completion), started));
        }
    }

    /// <summary>
    /// Records outcomes in batches of whatever has finished meanwhile (one round trip for many sends). A database
    /// hiccup is retried twice, since an outcome that is not recorded means the message is sent again.
    /// </summary>
    private async Task RecordAsync(ChannelReader<Finished> outcomes)
    {
        const int MaxBatch = 100;
        var batch = new List<Finished>(MaxBatch);
        while (await outcomes.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && outcomes.TryRead(out var finished))
                batch.Add(finished);
            var recorded = await CompleteAsync(batch).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                var (outcome, started) = batch[i];
                if (recorded is not null && !recorded[i])
                    OutboxLog.LeaseLost(logger, outcome.Lease.Id, outcome.Lease.MessageId);
                telemetry.Outcome(recorded is null || !recorded[i] ? "lease_lost" : OutcomeName(outcome.Completion.State), time.GetElapsedTime(started));
            }
        }
    }

    /// <summary>The store's answer per outcome, or null when recording failed three times (each row is then logged).</summary>
    private async Task<IReadOnlyList<bool>?> CompleteAsync(List<Finished> batch)
    {
        var outcomes = batch.ConvertAll(f => f.Outcome);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await store.CompleteAsync(outcomes, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < 3)
            {
                OutboxLog.CompleteRetrying(logger, ex, outcomes.Count, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                foreach (var outcome in outcomes)
                    OutboxLog.CompleteFailed(logger, ex, outcome.Lease.Id, outcome.Lease.MessageId, store.ToString() ?? store.GetType().Name);
                return null;
            }
        }
    }

    private static string OutcomeName(OutboxState state) => state switch
    {
        OutboxState.Sent => "sent",
        OutboxState.Queued => "retry",
        OutboxState.MaybeDelivered => "maybe_delivered",
        _ => "failed",
    };

    private async Task<OutboxCompletion> SendAsync(OutboxLease lease)
    {
        MimeMessage message;
        MailEnvelope? envelope;
        try
        {
            var stream = MemoryMarshal.TryGetArray(lease.Message, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(lease.Message.ToArray(), writable: false);
            using (stream)
                message = await MimeMessage.LoadAsync(stream, abortSends.Token).ConfigureAwait(false);
            envelope = lease.Envelope is { } stored ? OutboxEnvelope.Parse(stored) : null;
        }
        catch (Exception ex) when (ex is FormatException or ParseException)
        {
            return Failed(lease, $"The stored message cannot be read: {ex.Message}");
        }

        using (message)
        {
            var sender = lease.SenderKey is { } key ? services.GetKeyedService<IMailSender>(key) : services.GetService<IMailSender>();
            if (sender is null)
            {
                return Failed(lease, lease.SenderKey is null
                    ? "No IMailSender is registered: add a sender (AddSmtpSender, AddMaildirSender) in the dispatching process."
                    : $"No IMailSender is registered with the key '{lease.SenderKey}': add AddSmtpSender(\"{lease.SenderKey}\", ...) in the dispatching process.");
            }

            try
            {
                var result = await sender.SendAsync(message, envelope, abortSends.Token).ConfigureAwait(false);
                OutboxLog.Sent(logger, lease.Id, lease.MessageId, lease.Attempt);
                return OutboxCompletion.Sent(DescribeSent(result) is { } response ? Truncate(response) : null);
            }
            catch (MailDeliveryException ex) when (ex.MaybeDelivered)
            {
                OutboxLog.MaybeDelivered(logger, lease.Id, lease.MessageId);
                return OutboxCompletion.MaybeDelivered(Truncate(Describe(ex)));
            }
            catch (MailDeliveryException ex) when (!ex.IsTransient)
            {
                return Failed(lease, Describe(ex));
            }
            catch (ArgumentException ex)
            {
                return Failed(lease, $"The message was refused by the sender: {ex.Message}");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Transient delivery failures, and anything unexpected (a sender that threw without classifying): retried.
                return RetryOrFail(lease, ex, ex is MailDeliveryException delivery ? Describe(delivery) : $"{ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    /// <summary>A failure that may pass: due again after the backoff, or the dead-letter state after the last attempt.</summary>
    private OutboxCompletion RetryOrFail(OutboxLease lease, Exception exception, string error)
    {
        if (lease.Attempt >= options.MaxAttempts)
            return Failed(lease, $"Gave up after {lease.Attempt} attempts; the last failed with {error}");
        var retryAt = time.GetUtcNow() + ExponentialBackoff.Delay(lease.Attempt, options.RetryBaseDelay, options.RetryMaxDelay);
        OutboxLog.Retrying(logger, lease.Id, lease.MessageId, lease.Attempt, exception is MailDeliveryException d ? d.ErrorType : exception.GetType().Name, retryAt);
        return OutboxCompletion.Retry(retryAt, Truncate(error));
    }

    private OutboxCompletion Failed(OutboxLease lease, string reason)
    {
        OutboxLog.Failed(logger, lease.Id, lease.MessageId, lease.Attempt, reason);
        return OutboxCompletion.Failed(Truncate(reason));
    }

    private async Task MaintainAsync(CancellationToken stoppingToken)
    {
        var nextPurge = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                telemetry.Record(await store.GetStatisticsAsync(stoppingToken).ConfigureAwait(false));
                var now = time.GetUtcNow();
                if (options.Retention is { } retention && now >= nextPurge)
                {
                    nextPurge = now + PurgeInterval;
                    var purged = await store.PurgeAsync(now - retention, stoppingToken).ConfigureAwait(false);
                    if (purged > 0)
                        OutboxLog.Purged(logger, purged, now - retention);
                }

                await Task.Delay(StatisticsInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                OutboxLog.MaintenanceFailed(logger, ex, store.ToString() ?? store.GetType().Name);
                try
                {
                    await Task.Delay(StatisticsInterval, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static string Describe(MailDeliveryException ex)
    {
        var code = ex.ReplyCode > 0 ? $" {ex.ReplyCode}{(ex.EnhancedStatusCode is null ? string.Empty : " " + ex.EnhancedStatusCode)}" : string.Empty;
        return $"{ex.ErrorType}{code}: {ex.Message}";
    }

    private static string? DescribeSent(SendResult result)
    {
        var rejected = result.Rejected.ToArray();
        if (rejected.Length == 0)
            return result.Response;
        return $"{result.Response} (refused: {string.Join("; ", rejected.Select(r => $"{r.Address} {r.ReplyCode} {r.EnhancedStatusCode}".TrimEnd()))})";
    }

    private static string Truncate(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];

    /// <summary>A leased row waiting for a worker, with when it was leased.</summary>
    private readonly record struct Queued(OutboxLease Lease, long LeasedAt);

    /// <summary>An outcome waiting to be recorded, with when its send started (for the duration metric).</summary>
    private readonly record struct Finished(OutboxOutcome Outcome, long Started);
}
