using System.Threading.RateLimiting;
using MailKit.Net.Smtp;
using Mailing.Toolkit.Net.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// Sends over a pool of MailKit connections with retries for transient failures, a shared rate limit and
/// server failover. A failure after the end of the data is reported as maybe delivered and never retried.
/// </summary>
internal sealed class SmtpMailSender : MailSenderBase, IAsyncDisposable, IDisposable
{
    // MAIL FROM:<> — the null reverse path of automatic replies and bounces.
    private static readonly MailboxAddress NullReversePath = new(string.Empty, string.Empty);

    private readonly SmtpSenderOptions options;
    private readonly SmtpConnectionPool pool;
    private readonly SendingTelemetry telemetry;
    private readonly KeyValuePair<string, object?> senderTag;
    private readonly TokenBucketRateLimiter? rateLimiter;

    public SmtpMailSender(string? name, SmtpSenderOptions options, OutgoingMailPipeline pipeline, SendingTelemetry telemetry, TimeProvider timeProvider, ILoggerFactory loggerFactory)
        : base("smtp", name, pipeline, telemetry, timeProvider, loggerFactory.CreateLogger<SmtpMailSender>())
    {
        this.options = options;
        this.telemetry = telemetry;
        senderTag = new("mailing.sender", name ?? "default");
        pool = new SmtpConnectionPool(name, options, timeProvider, telemetry, loggerFactory);

        if (options.MaxMessagesPerSecond > 0)
        {
            // One bucket for the whole pool: a burst of up to one second's worth, then a steady rate.
            rateLimiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, (int)options.MaxMessagesPerSecond),
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1 / options.MaxMessagesPerSecond),
                AutoReplenishment = true,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
        }

        if (options.DangerousAcceptAnyServerCertificate)
            SmtpSenderLog.DangerousCertificateOverride(Logger, name ?? "default");
    }

    protected override async Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        var sender = mail.Envelope.Sender?.ToMailboxAddress() ?? NullReversePath;
        var recipients = new MailboxAddress[mail.Envelope.Recipients.Count];
        for (var i = 0; i < recipients.Length; i++)
            recipients[i] = mail.Envelope.Recipients[i].ToMailboxAddress();
        var attempt = 0;
        var replacedStaleConnection = false;

        while (true)
        {
            attempt++;
            if (rateLimiter is not null)
                await AcquirePermitAsync(cancellationToken).ConfigureAwait(false);

            PooledSmtpClient? client = null;
            var reusable = false;
            MailDeliveryException failure;
            try
            {
                client = await pool.RentAsync(cancellationToken).ConfigureAwait(false);
                var reused = client.MessagesSent > 0;
                client.BeginMessage();
                try
                {
                    var response = await client.SendAsync(WireFormats.Network, mail.Message, sender, recipients, cancellationToken).ConfigureAwait(false);
                    client.MessagesSent++;
                    reusable = true;
                    return new SendResult(mail.Message.MessageId ?? string.Empty, client.Recipients.ToArray(), client.Server, attempt, response);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    client.MessagesSent++;
                    failure = SmtpReplies.FromSendFailure(ex, client, attempt);
                    // A refusal leaves the session usable; anything else may have left it mid-command.
                    reusable = ex is SmtpCommandException && client.IsConnected;

                    // A pooled connection the server closed while idle fails before any data: replace it
                    // at once, without spending an attempt or the caller's patience.
                    if (reused && !replacedStaleConnection && !failure.MaybeDelivered && failure.ReplyCode == 0 && failure.ErrorType is "protocol" or "connection" or "io")
                    {
                        replacedStaleConnection = true;
                        attempt--;
                        SmtpSenderLog.StaleConnection(Logger, client.Server);
                        continue;
                    }
                }
            }
            catch (MailDeliveryException connectFailure)
            {
                failure = SmtpReplies.WithAttempts(connectFailure, attempt);
            }
            finally
            {
                if (client is not null)
                    pool.Return(client, reusable);
            }

            if (!failure.IsTransient || failure.MaybeDelivered || attempt >= options.MaxAttempts)
                throw failure;

            var delay = RetryDelay(attempt);
            telemetry.Retries.Add(1, TransportTag, senderTag, new("error.type", failure.ErrorType));
            SmtpSenderLog.Retrying(Logger, mail.Message.MessageId ?? string.Empty, attempt, failure.ErrorType, failure.ReplyCode, delay.TotalMilliseconds);
            await Task.Delay(delay, TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (rateLimiter is not null)
            await rateLimiter.DisposeAsync().ConfigureAwait(false);
        await pool.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>SendResult.Server is <c>host:port</c> (an IPv6 host keeps its colons; the port follows the last one).</summary>
    protected override (string Address, int Port)? ServerEndpoint(SendResult result)
    {
        var colon = result.Server.LastIndexOf(':');
        return colon > 0 && int.TryParse(result.Server.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out var port)
            ? (result.Server[..colon], port)
            : null;
    }

    /// <summary>For containers disposed synchronously: closes connections without waiting for QUIT replies.</summary>
    public void Dispose()
    {
        rateLimiter?.Dispose();
        pool.Dispose();
    }

    private TimeSpan RetryDelay(int attempt) => ExponentialBackoff.Delay(attempt, options.RetryBaseDelay, options.RetryMaxDelay);

    private async ValueTask AcquirePermitAsync(CancellationToken cancellationToken)
    {
        using var lease = await rateLimiter!.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
            throw new MailDeliveryException("The send rate limit queue rejected the message.", "rate_limited", 0, null, true, false, null, null, 0);
    }
}

internal static partial class SmtpSenderLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Message {MessageId}: attempt {Attempt} failed ({ErrorType}, reply {ReplyCode}); retrying in {DelayMs:F0} ms")]
    public static partial void Retrying(ILogger logger, string messageId, int attempt, string errorType, int replyCode, double delayMs);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "A pooled connection to {Server} had been closed by the server; replacing it")]
    public static partial void StaleConnection(ILogger logger, string server);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "SMTP sender '{Sender}' accepts any server certificate (DangerousAcceptAnyServerCertificate). Never use this in production.")]
    public static partial void DangerousCertificateOverride(ILogger logger, string sender);
}
