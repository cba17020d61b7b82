using System.Diagnostics;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// The part every transport shares: MailMessage conversion, the outgoing pipeline, the activity,
/// metrics and logs. A transport only implements <see cref="DeliverAsync"/>.
/// </summary>
internal abstract class MailSenderBase : IMailSender
{
    private readonly OutgoingMailPipeline pipeline;
    private readonly SendingTelemetry telemetry;
    private readonly KeyValuePair<string, object?> transportTag;

    /// <summary>The <c>mailing.transport</c> attribute, for transports that record metrics of their own.</summary>
    protected KeyValuePair<string, object?> TransportTag => transportTag;
    private readonly KeyValuePair<string, object?> senderTag;

    protected MailSenderBase(string transport, string? name, OutgoingMailPipeline pipeline, SendingTelemetry telemetry, TimeProvider timeProvider, ILogger logger)
    {
        Transport = transport;
        Name = name;
        this.pipeline = pipeline;
        this.telemetry = telemetry;
        TimeProvider = timeProvider;
        Logger = logger;
        transportTag = new("mailing.transport", transport);
        senderTag = new("mailing.sender", name ?? "default");
    }

    /// <summary>The transport name used in telemetry: smtp, maildir, memory.</summary>
    protected string Transport { get; }

    /// <summary>The key of this sender, or <see langword="null"/> for the default one.</summary>
    protected string? Name { get; }

    protected ILogger Logger { get; }

    protected TimeProvider TimeProvider { get; }

    public async Task<SendResult> SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var mime = message.ToMimeMessage();
        mime.Date = TimeProvider.GetUtcNow();
        return await SendAsync(mime, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<SendResult> SendAsync(MimeMessage message, MailEnvelope? envelope = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = telemetry.StartSend(Transport, Name);

        var started = TimeProvider.GetTimestamp();
        var messageId = message.MessageId ?? string.Empty;
        try
        {
            // Filters run inside the measured block: a filter that blocks a message counts as a failed send.
            var mail = await pipeline.PrepareAsync(message, envelope, Name, cancellationToken).ConfigureAwait(false);
            messageId = message.MessageId ?? string.Empty;
            activity?.SetTag("mailing.message_id", messageId);
            activity?.SetTag("mailing.recipients", mail.Envelope.Recipients.Count);

            var result = await DeliverAsync(mail, cancellationToken).ConfigureAwait(false);
            var elapsed = TimeProvider.GetElapsedTime(started);
            var tags = new TagList { transportTag, senderTag };
            if (ServerEndpoint(result) is var (address, port))
            {
                tags.Add("server.address", address);
                tags.Add("server.port", port);
                activity?.SetTag("server.address", address);
                activity?.SetTag("server.port", port);
            }

            telemetry.Sent.Add(1, tags);
            telemetry.Duration.Record(elapsed.TotalSeconds, tags);
            SenderLog.Sent(Logger, Transport, messageId, result.Server, result.Attempts, elapsed.TotalMilliseconds);
            if (Logger.IsEnabled(LogLevel.Debug))
                SenderLog.SentDetails(Logger, messageId, string.Join(", ", mail.Envelope.Recipients.Select(r => r.Address)), message.Subject);
            foreach (var recipient in result.Recipients)
            {
                if (!recipient.Accepted)
                    SenderLog.RecipientRejected(Logger, messageId, recipient.ReplyCode, recipient.EnhancedStatusCode);
            }
            return result;
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            var delivery = ex as MailDeliveryException;
            var errorType = MailingInstrumentation.ErrorType(ex);
            var elapsed = TimeProvider.GetElapsedTime(started);
            var error = new KeyValuePair<string, object?>("error.type", errorType);
            telemetry.Failed.Add(1, transportTag, senderTag, error);
            telemetry.Duration.Record(elapsed.TotalSeconds, transportTag, senderTag, error);
            MailingInstrumentation.SetError(activity, errorType);
            // The exception text can quote the server's reply, which may echo addresses: full detail at Debug only.
            SenderLog.Failed(Logger, Transport, messageId, errorType, delivery?.ReplyCode ?? 0, delivery?.EnhancedStatusCode, delivery?.Attempts ?? 0);
            SenderLog.FailedDetails(Logger, ex, messageId);
            throw;
        }
    }

    /// <summary>The network server a result came from, for the <c>server.address</c>/<c>server.port</c> attributes; none by default.</summary>
    protected virtual (string Address, int Port)? ServerEndpoint(SendResult result) => null;

    /// <summary>Hands a prepared message to the transport.</summary>
    protected abstract Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken);
}

internal static partial class SenderLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Sent message {MessageId} via {Transport} to {Server} in {Attempts} attempt(s), {ElapsedMs:F1} ms")]
    public static partial void Sent(ILogger logger, string transport, string messageId, string server, int attempts, double elapsedMs);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Message {MessageId} went to {Recipients} with subject {Subject}")]
    public static partial void SentDetails(ILogger logger, string messageId, string recipients, string? subject);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Message {MessageId}: a recipient was rejected with {ReplyCode} {EnhancedStatusCode}")]
    public static partial void RecipientRejected(ILogger logger, string messageId, int replyCode, string? enhancedStatusCode);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Sending message {MessageId} via {Transport} failed: {ErrorType}, reply {ReplyCode} {EnhancedStatusCode}, after {Attempts} attempt(s)")]
    public static partial void Failed(ILogger logger, string transport, string messageId, string errorType, int replyCode, string? enhancedStatusCode, int attempts);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Sending message {MessageId} failed")]
    public static partial void FailedDetails(ILogger logger, Exception exception, string messageId);
}
