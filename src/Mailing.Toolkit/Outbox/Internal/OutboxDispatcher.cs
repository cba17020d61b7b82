using System.Diagnostics;
using System.Runtime.InteropServices;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>
/// Sends the outbox: leases due rows as workers free up (never more rows than free workers, so no lease waits in a
/// queue while its clock runs), sends each through its <see cref="IMailSender"/>, and records the outcome under the
/// lease. Also refreshes the backlog statistics and purges finished rows past the retention.
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
        var inFlight = new HashSet<Task>();
        using var slots = new SemaphoreSlim(options.Workers, options.Workers);
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                var free = 1;
                while (slots.Wait(0, CancellationToken.None))
                    free++;

                IReadOnlyList<OutboxLease> leases;
                try
                {
                    leases = await store.LeaseAsync(free, options.LeaseDuration, stoppingToken).ConfigureAwait(false);
                    failures = 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    slots.Release(free);
                    var delay = ExponentialBackoff.Delay(++failures, LeaseRetryBase, LeaseRetryMax);
                    OutboxLog.LeaseFailed(logger, ex, store.ToString() ?? store.GetType().Name, failures, delay);
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                catch
                {
                    slots.Release(free);
                    throw;
                }

                if (leases.Count < free)
                    slots.Release(free - leases.Count);
                foreach (var lease in leases)
                {
                    var task = DispatchAsync(lease, slots);
                    lock (inFlight)
                        inFlight.Add(task);
                    _ = task.ContinueWith(t => { lock (inFlight) inFlight.Remove(t); }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }

                if (leases.Count == 0)
                    await signal.WaitAsync(options.PollInterval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        Task[] remaining;
        lock (inFlight)
            remaining = [.. inFlight];
        await Task.WhenAll(remaining).ConfigureAwait(false);
        await maintenance.ConfigureAwait(false);
    }

    private async Task DispatchAsync(OutboxLease lease, SemaphoreSlim slots)
    {
        // Off the leasing loop at once: loading and sending must never hold up the next lease.
        await Task.Yield();
        var started = time.GetTimestamp();
        try
        {
            OutboxCompletion completion;
            try
            {
                completion = await SendAsync(lease).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abortSends.IsCancellationRequested)
            {
                // The host gave up waiting: the row stays leased and is sent again when the lease expires.
                return;
            }
            catch (Exception ex)
            {
                // Outside the send itself (a sender that cannot be built from its options, for example): retried like
                // a transient failure, and dead-lettered after the last attempt, never left leased in silence.
                completion = RetryOrFail(lease, ex, $"{ex.GetType().Name}: {ex.Message}");
            }

            var outcome = await CompleteAsync(lease, completion).ConfigureAwait(false);
            telemetry.Outcome(outcome, time.GetElapsedTime(started));
        }
        finally
        {
            slots.Release();
        }
    }

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

    /// <summary>Records the outcome; a database hiccup is retried twice, since a lost outcome means the message is sent again.</summary>
    private async Task<string> CompleteAsync(OutboxLease lease, OutboxCompletion completion)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await store.CompleteAsync(lease, completion, abortSends.Token).ConfigureAwait(false))
                {
                    return completion.State switch
                    {
                        OutboxState.Sent => "sent",
                        OutboxState.Queued => "retry",
                        OutboxState.MaybeDelivered => "maybe_delivered",
                        _ => "failed",
                    };
                }

                OutboxLog.LeaseLost(logger, lease.Id, lease.MessageId);
                return "lease_lost";
            }
            catch (Exception ex) when (attempt < 3 && ex is not OperationCanceledException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), time, abortSends.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                OutboxLog.CompleteFailed(logger, ex, lease.Id, lease.MessageId, store.ToString() ?? store.GetType().Name);
                return "lease_lost";
            }
        }
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
}
