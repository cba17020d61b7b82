using System.Security.Cryptography;
using System.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using Mailing.Toolkit.Net.Internal;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>
/// Runs passes over one mailbox: receive, parse, route, handle with bounded parallelism, acknowledge after success,
/// retry and quarantine after failure. A pass ends only when every message it took is done, so the next pass never
/// sees a message that is still in flight.
/// </summary>
internal sealed class InboundMailboxWorker : IDisposable
{
    private readonly IMailReceiver receiver;

    /// <summary>
    /// Waits between passes: until the receiver signals new mail (IMAP IDLE) or <paramref name="timeout"/> passes;
    /// receivers without a signal are polled every <paramref name="timeout"/>.
    /// </summary>
    public Task WaitForNextPassAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken) =>
        receiver is IMailArrivalNotifier notifier
            ? notifier.WaitForArrivalAsync(timeout, cancellationToken)
            : Task.Delay(timeout, time, cancellationToken);
    private readonly IMailParser parser;
    private readonly InboundRouter router;
    private readonly IServiceScopeFactory scopes;
    private readonly InboundProcessingOptions options;
    private readonly InboundTelemetry telemetry;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly SemaphoreSlim passLock = new(1, 1);
    private readonly IInboundDeduplicationStore? deduplication;
    private readonly Security.IMailAuthenticator? authenticator;
    private readonly Security.ISpamClassifier? classifier;
    private DateTimeOffset nextDeduplicationPurge;

    // Messages whose quarantine move the receiver cannot do (POP3 has no folders): skipped until the next start,
    // instead of failing every attempt again on every pass.
    private readonly ConcurrentDictionary<string, byte> stuck = new(StringComparer.Ordinal);

    public InboundMailboxWorker(
        string name,
        IMailReceiver receiver,
        IMailParser parser,
        InboundRouter router,
        IServiceScopeFactory scopes,
        InboundProcessingOptions options,
        InboundTelemetry telemetry,
        TimeProvider time,
        ILogger logger,
        IInboundDeduplicationStore? deduplication = null,
        Security.IMailAuthenticator? authenticator = null,
        Security.ISpamClassifier? classifier = null)
    {
        this.classifier = classifier;
        Name = name;
        this.deduplication = deduplication;
        this.authenticator = authenticator;
        this.receiver = receiver;
        this.parser = parser;
        this.router = router;
        this.scopes = scopes;
        this.options = options;
        this.telemetry = telemetry;
        this.time = time;
        this.logger = logger;
        Status = new InboundMailboxStatus(name, time.GetUtcNow());
    }

    public string Name { get; }

    /// <summary>The routes this mailbox's messages take (its own, or the shared ones), the default route included.</summary>
    public int RouteCount => router.Routes.Count();

    public InboundMailboxStatus Status { get; }

    /// <summary>One pass. <paramref name="intake"/> stops taking messages; <paramref name="processing"/> aborts the ones in flight.</summary>
    public async Task<InboundPassResult> RunPassAsync(CancellationToken intake, CancellationToken processing)
    {
        await passLock.WaitAsync(intake).ConfigureAwait(false);
        try
        {
            await PurgeDeduplicationAsync(intake).ConfigureAwait(false);
            var counts = new Counts();
            var inFlight = new List<Task>();
            using var slots = new SemaphoreSlim(options.MaxParallelism);
            var messages = receiver.ReceiveAsync(intake).GetAsyncEnumerator(intake);
            try
            {
                while (await messages.MoveNextAsync().ConfigureAwait(false))
                {
                    var mail = messages.Current;
                    if (stuck.ContainsKey(mail.Id))
                        continue;
                    await slots.WaitAsync(intake).ConfigureAwait(false);
                    if (intake.IsCancellationRequested)
                    {
                        // A slot given back while intake was being cancelled can still be granted: a stopping host
                        // takes no new message.
                        slots.Release();
                        intake.ThrowIfCancellationRequested();
                    }

                    Interlocked.Increment(ref counts.Received);
                    telemetry.Received.Add(1, InboundTelemetry.Mailbox(Name));
                    inFlight.RemoveAll(static t => t.IsCompleted);
                    inFlight.Add(ProcessAndReleaseAsync(mail, slots, counts, intake, processing));
                }
            }
            finally
            {
                // Also when the receiver throws or intake is cancelled: the messages taken are finished first, and
                // only then is the pass closed, so a receiver that commits at the end of its pass (POP3 deletes at
                // QUIT) commits the acknowledgements of this pass.
                try
                {
                    await Task.WhenAll(inFlight).ConfigureAwait(false);
                }
                finally
                {
                    await messages.DisposeAsync().ConfigureAwait(false);
                }
            }

            Status.PassSucceeded(time.GetUtcNow());
            var result = new InboundPassResult(counts.Received, counts.Handled, counts.Unrouted, counts.Quarantined, counts.Deferred);
            PipelineLog.PassDone(logger, Name, result.Received, result.Handled, result.Unrouted, result.Quarantined, result.Deferred);
            return result;
        }
        catch (Exception ex) when (!intake.IsCancellationRequested)
        {
            Status.PassFailed(ErrorType(ex));
            telemetry.PassFailures.Add(1, InboundTelemetry.Mailbox(Name), new("error.type", ErrorType(ex)));
            throw;
        }
        finally
        {
            passLock.Release();
        }
    }

    private async Task ProcessAndReleaseAsync(ReceivedMail mail, SemaphoreSlim slots, Counts counts, CancellationToken intake, CancellationToken processing)
    {
        var slot = new Slot(slots);
        try
        {
            // Off the receiving loop at once, so a slow handler never holds up taking the next message.
            await Task.Yield();
            using var activity = telemetry.StartReceive(Name);
            var outcome = await ProcessAsync(mail, slot, activity, intake, processing).ConfigureAwait(false);
            switch (outcome)
            {
                case Outcome.Handled: Interlocked.Increment(ref counts.Handled); break;
                case Outcome.Unrouted: Interlocked.Increment(ref counts.Unrouted); break;
                case Outcome.Quarantined: Interlocked.Increment(ref counts.Quarantined); break;
                default:
                    Interlocked.Increment(ref counts.Deferred);
                    activity?.SetTag("outcome", "deferred");
                    break;
            }
        }
        finally
        {
            slot.Release();
        }
    }

    /// <summary>
    /// Processes one message. <paramref name="slot"/> bounds the parsing and handling; it is given back before the
    /// acknowledgement, so the next messages are handled while this one's acknowledgement waits to travel with
    /// theirs (the IMAP receiver applies acknowledgements in sets). <paramref name="activity"/> is the message's receive span.
    /// </summary>
    private async Task<Outcome> ProcessAsync(ReceivedMail mail, Slot slot, Activity? activity, CancellationToken intake, CancellationToken processing)
    {
        ParsedMail parsed;
        Security.MailAuthenticationResults? authentication = null;
        Security.SpamVerdict? spam = null;
        try
        {
            var raw = await mail.OpenReadAsync(processing).ConfigureAwait(false);
            await using (raw.ConfigureAwait(false))
                parsed = await parser.ParseAsync(raw, processing).ConfigureAwait(false);
            if (authenticator is not null || classifier is not null)
                (authentication, spam) = await CheckTrustAsync(mail, parsed, processing).ConfigureAwait(false);
        }
        catch (MailParseException ex)
        {
            // Retrying cannot help: the bytes do not change.
            PipelineLog.Unparseable(logger, ex, mail.Id, ex.Limit, options.QuarantineFolder);
            slot.Release();
            return await QuarantineAsync(mail, null, ex, 1, activity, processing).ConfigureAwait(false);
        }
        catch (Exception ex) when (!processing.IsCancellationRequested)
        {
            PipelineLog.Deferred(logger, ex, mail.Id, ErrorType(ex));
            MailingInstrumentation.SetError(activity, ErrorType(ex));
            return Outcome.Deferred;
        }
        catch (OperationCanceledException)
        {
            PipelineLog.LeftForNextStart(logger, mail.Id);
            return Outcome.Deferred;
        }

        if (activity is not null && parsed.MessageId is { } messageId)
            activity.SetTag("mailing.message_id", messageId);
        if (router.Match(parsed, authentication, spam, mail.Id) is not { } match)
        {
            var disposition = options.UnroutedFolder is { Length: > 0 } folder ? MailDisposition.MoveTo(folder) : MailDisposition.MarkSeen;
            PipelineLog.Unrouted(logger, mail.Id, parsed.MessageId, disposition.Kind);
            slot.Release();
            if (!await AcknowledgeAsync(mail, disposition, activity, processing).ConfigureAwait(false))
                return Outcome.Deferred;
            telemetry.RecordHandled(activity, Name, null, "unrouted");
            return Outcome.Unrouted;
        }

        activity?.SetTag("mailing.route", match.Route.Name);
        PipelineLog.Routed(logger, mail.Id, parsed.MessageId, Name, match.Route.Name);
        string? key = null;
        if (deduplication is not null)
        {
            DeduplicationResult begun;
            try
            {
                key = await DeduplicationKeyAsync(mail, parsed, processing).ConfigureAwait(false);
                begun = await deduplication.TryBeginAsync(Name, key, time.GetUtcNow(), options.DeduplicationLease, processing).ConfigureAwait(false);
            }
            catch (Exception ex) when (!processing.IsCancellationRequested)
            {
                PipelineLog.Deferred(logger, ex, mail.Id, ErrorType(ex));
                MailingInstrumentation.SetError(activity, ErrorType(ex));
                return Outcome.Deferred;
            }

            if (begun == DeduplicationResult.InProgress)
            {
                PipelineLog.DuplicateInProgress(logger, mail.Id, parsed.MessageId, Name);
                return Outcome.Deferred;
            }

            if (begun == DeduplicationResult.AlreadyHandled)
            {
                PipelineLog.DuplicateHandled(logger, mail.Id, parsed.MessageId, Name, match.Disposition.Kind);
                slot.Release();
                if (!await AcknowledgeAsync(mail, match.Disposition, activity, processing).ConfigureAwait(false))
                    return Outcome.Deferred;
                telemetry.RecordHandled(activity, Name, match.Route.Name, "duplicate");
                return Outcome.Handled;
            }
        }

        var outcome = await HandleWithRetriesAsync(mail, parsed, new Verdicts(authentication, spam), match, slot, activity, key, intake, processing).ConfigureAwait(false);
        if (outcome != Outcome.Handled && key is not null)
            await ReleaseDeduplicationAsync(mail, key).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Runs the route's handlers with retries, then acknowledges; quarantines after the last failed attempt.</summary>
    /// <summary>
    /// Authenticates and classifies the raw message (MimeKit loads it again: the checks need its headers exactly as
    /// received). DNS trouble gives temperror results, not an exception; a classifier failing closed throws, which
    /// defers the message.
    /// </summary>
    private async Task<(Security.MailAuthenticationResults?, Security.SpamVerdict?)> CheckTrustAsync(ReceivedMail mail, ParsedMail parsed, CancellationToken cancellationToken)
    {
        var raw = await mail.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using (raw.ConfigureAwait(false))
        {
            using var message = await MimeKit.MimeMessage.LoadAsync(raw, cancellationToken).ConfigureAwait(false);
            Security.MailAuthenticationResults? results = null;
            if (authenticator is not null)
            {
                results = await authenticator.AuthenticateAsync(message, null, cancellationToken).ConfigureAwait(false);
                PipelineLog.Authenticated(logger, mail.Id, parsed.MessageId, results.Spf.Status, results.Dmarc.Status, results.Dmarc.Disposition);
            }

            Security.SpamVerdict? verdict = null;
            if (classifier is not null)
            {
                // Only the newest Delivered-To is the delivery agent's: the ones below came with the message.
                var context = new Security.SpamCheckContext
                {
                    Authentication = results,
                    Connection = results?.Connection,
                    Recipients = parsed.DeliveredTo.Count > 0 ? [parsed.DeliveredTo[0]] : [],
                    QueueId = parsed.MessageId,
                };
                verdict = await classifier.ClassifyAsync(message, context, cancellationToken).ConfigureAwait(false);
                PipelineLog.Classified(logger, mail.Id, parsed.MessageId, verdict.Classifier, verdict.Score, verdict.Action);
            }

            return (results, verdict);
        }
    }

    /// <summary>What the trust checks said about a message, handed to its handlers.</summary>
    private readonly record struct Verdicts(Security.MailAuthenticationResults? Authentication, Security.SpamVerdict? Spam);

    private async Task<Outcome> HandleWithRetriesAsync(ReceivedMail mail, ParsedMail parsed, Verdicts verdicts, RouteMatch match, Slot slot, Activity? activity, string? deduplicationKey, CancellationToken intake, CancellationToken processing)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await HandleAsync(mail, parsed, verdicts, match, attempt, processing).ConfigureAwait(false);
                if (deduplicationKey is not null)
                    await CompleteDeduplicationAsync(mail, deduplicationKey).ConfigureAwait(false);
                slot.Release();
                if (!await AcknowledgeAsync(mail, match.Disposition, activity, processing).ConfigureAwait(false))
                    return Outcome.Deferred;
                PipelineLog.Handled(logger, mail.Id, parsed.MessageId, match.Route.Name, attempt, match.Disposition.Kind);
                telemetry.RecordHandled(activity, Name, match.Route.Name, attempt == 1 ? "success" : "retried");
                if (mail.ReceivedAt is { } arrived)
                    telemetry.Lag.Record(Math.Max(0, (time.GetUtcNow() - arrived).TotalSeconds), InboundTelemetry.Mailbox(Name), new("mailing.route", match.Route.Name));
                return Outcome.Handled;
            }
            catch (OperationCanceledException) when (processing.IsCancellationRequested)
            {
                PipelineLog.LeftForNextStart(logger, mail.Id);
                return Outcome.Deferred;
            }
            catch (Exception ex)
            {
                if (attempt >= options.MaxAttempts)
                {
                    slot.Release();
                    return await QuarantineAsync(mail, parsed, ex, attempt, activity, processing).ConfigureAwait(false);
                }

                var delay = Backoff(attempt);
                telemetry.Retries.Add(1, InboundTelemetry.Mailbox(Name), new("mailing.route", match.Route.Name), new("error.type", ErrorType(ex)));
                PipelineLog.Retrying(logger, ex, mail.Id, parsed.MessageId, attempt, options.MaxAttempts, ErrorType(ex), delay.TotalMilliseconds);
                if (delay > TimeSpan.Zero)
                {
                    try
                    {
                        // Waiting for a retry is not work in flight: a stopping host leaves the message for the next start.
                        await Task.Delay(delay, time, intake).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        PipelineLog.LeftForNextStart(logger, mail.Id);
                        return Outcome.Deferred;
                    }
                }
                else if (intake.IsCancellationRequested)
                {
                    PipelineLog.LeftForNextStart(logger, mail.Id);
                    return Outcome.Deferred;
                }
            }
        }
    }

    /// <summary>
    /// The de-duplication key of a message: its Message-ID, or a SHA-256 of the raw message when it has none (or one
    /// so long that it would make a poor key).
    /// </summary>
    private static async Task<string> DeduplicationKeyAsync(ReceivedMail mail, ParsedMail parsed, CancellationToken cancellationToken)
    {
        const int MaxMessageIdLength = 200;
        if (parsed.MessageId is { Length: > 0 and <= MaxMessageIdLength } messageId)
            return "mid:" + messageId;
        if (parsed.MessageId is { Length: > 0 } longId)
            return "mid-sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(longId)));
        var raw = await mail.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using (raw.ConfigureAwait(false))
            return "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(raw, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Records the message as handled; a store that fails is logged, since the handlers already ran.</summary>
    private async Task CompleteDeduplicationAsync(ReceivedMail mail, string key)
    {
        try
        {
            await deduplication!.CompleteAsync(Name, key, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            PipelineLog.DeduplicationStoreFailed(logger, ex, mail.Id, Name);
        }
    }

    /// <summary>Gives the key back after a failure, so another copy or a later pass may handle the message.</summary>
    private async Task ReleaseDeduplicationAsync(ReceivedMail mail, string key)
    {
        try
        {
            await deduplication!.ReleaseAsync(Name, key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The lease runs out on its own; until then a copy of the message waits.
            PipelineLog.DeduplicationStoreFailed(logger, ex, mail.Id, Name);
        }
    }

    /// <summary>Forgets handled keys older than the retention, at most once an hour.</summary>
    private async Task PurgeDeduplicationAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (deduplication is null || now < nextDeduplicationPurge)
            return;
        nextDeduplicationPurge = now + TimeSpan.FromHours(1);
        try
        {
            await deduplication.PurgeAsync(now - options.DeduplicationRetention, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            PipelineLog.DeduplicationStoreFailed(logger, ex, "(purge)", Name);
        }
    }

    private async Task HandleAsync(ReceivedMail mail, ParsedMail parsed, Verdicts verdicts, RouteMatch match, int attempt, CancellationToken cancellationToken)
    {
        // A child of the message's receive span; what the handlers do (an auto-reply and its send) is a child of this one.
        using var activity = telemetry.StartHandle(Name, match.Route.Name, attempt);
        try
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var context = new InboundMail
                {
                    Mail = parsed,
                    Received = mail,
                    Mailbox = Name,
                    Route = match.Route,
                    Recipient = match.Recipient,
                    Attempt = attempt,
                    Authentication = verdicts.Authentication,
                    Spam = verdicts.Spam,
                };
                foreach (var type in match.Route.Handlers)
                {
                    var handler = (IInboundMailHandler)scope.ServiceProvider.GetRequiredService(type);
                    await handler.HandleAsync(context, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            MailingInstrumentation.SetError(activity, ErrorType(ex));
            throw;
        }
    }

    private async Task<Outcome> QuarantineAsync(ReceivedMail mail, ParsedMail? parsed, Exception error, int attempts, Activity? activity, CancellationToken cancellationToken)
    {
        var folder = options.QuarantineFolder;
        try
        {
            await receiver.AcknowledgeAsync(mail, MailDisposition.MoveTo(folder), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (ex is NotSupportedException)
                stuck.TryAdd(mail.Id, 0);
            PipelineLog.QuarantineFailed(logger, ex, mail.Id, folder, ErrorType(ex));
            MailingInstrumentation.SetError(activity, ErrorType(ex));
            return Outcome.Deferred;
        }

        var errorType = ErrorType(error);
        PipelineLog.Quarantined(logger, error, mail.Id, parsed?.MessageId, folder, attempts, errorType);
        telemetry.Quarantined.Add(1, InboundTelemetry.Mailbox(Name), new("error.type", errorType));
        telemetry.RecordHandled(activity, Name, null, "quarantined");
        MailingInstrumentation.SetError(activity, errorType);
        return Outcome.Quarantined;
    }

    private async Task<bool> AcknowledgeAsync(ReceivedMail mail, MailDisposition disposition, Activity? activity, CancellationToken cancellationToken)
    {
        try
        {
            await receiver.AcknowledgeAsync(mail, disposition, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex)
        {
            PipelineLog.Deferred(logger, ex, mail.Id, ErrorType(ex));
            MailingInstrumentation.SetError(activity, ErrorType(ex));
            return false;
        }
    }

    /// <summary>The delay after failed attempt <paramref name="attempt"/> (<see cref="ExponentialBackoff"/>); zero retries at once.</summary>
    private TimeSpan Backoff(int attempt) => ExponentialBackoff.Delay(attempt, options.RetryBaseDelay, options.RetryMaxDelay);

    public void Dispose() => passLock.Dispose();

    private static string ErrorType(Exception ex) => ex is MailDeliveryException delivery ? delivery.ErrorType : ex.GetType().Name;

    private enum Outcome
    {
        Handled,
        Unrouted,
        Quarantined,
        Deferred,
    }

    /// <summary>A parallelism slot given back at most once: early, before acknowledging, or when processing ends.</summary>
    private sealed class Slot(SemaphoreSlim slots)
    {
        private int released;

        public void Release()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
                slots.Release();
        }
    }

    private sealed class Counts
    {
        public int Received;
        public int Handled;
        public int Unrouted;
        public int Quarantined;
        public int Deferred;
    }
}
