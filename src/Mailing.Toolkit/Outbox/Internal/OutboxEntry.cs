using MimeKit;
using MimeKit.Utils;
using Mailing.Toolkit.Sending.Internal;

namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>
/// A message made ready for an outbox row: Message-ID assigned, envelope checked, serialized within the size limit.
/// Every outbox (in memory, SQLite, PostgreSQL) enqueues through it, so they refuse the same input the same way.
/// This file (with MessageSafety) is compiled into the database packages as well.
/// </summary>
internal sealed class OutboxEntry
{
    public const int MaxIdempotencyKeyLength = 200;
    public const int MaxSenderKeyLength = 100;

    private OutboxEntry(string messageId, string subject, string recipients, string? envelope, byte[] content)
    {
        MessageId = messageId;
        Subject = subject;
        Recipients = recipients;
        Envelope = envelope;
        Content = content;
    }

    public string MessageId { get; }

    public string Subject { get; }

    public string Recipients { get; }

    public string? Envelope { get; }

    public byte[] Content { get; }

    /// <summary>Checks <paramref name="options"/> and serializes <paramref name="message"/>, filling From and Message-ID when missing.</summary>
    /// <exception cref="ArgumentException">Invalid options, no From, no recipient, or larger than <paramref name="maxBytes"/>.</exception>
    public static OutboxEntry Create(MimeMessage message, OutboxEnqueueOptions options, string? defaultFrom, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (options.IdempotencyKey is { } key && (key.Length is 0 or > MaxIdempotencyKeyLength))
            throw new ArgumentException($"The idempotency key must be 1 to {MaxIdempotencyKeyLength} characters; it has {key.Length}.", nameof(options));
        if (options.SenderKey is { } sender && (sender.Length is 0 or > MaxSenderKeyLength))
            throw new ArgumentException($"The sender key must be 1 to {MaxSenderKeyLength} characters; it has {sender.Length}.", nameof(options));

        if (message.From.Count == 0)
        {
            if (string.IsNullOrWhiteSpace(defaultFrom))
                throw new ArgumentException("The message has no From address: set From on the message, or configure Mailing:DefaultFrom.", nameof(message));
            message.From.Add(EmailAddress.Parse(defaultFrom).ToMailboxAddress());
        }

        MessageSafety.EnsureHeadersSafe(message);
        // Checked now, not at send time: a message that can never be sent should fail its caller, not the dispatcher.
        var envelope = options.Envelope ?? MailEnvelope.FromMessage(message);
        if (string.IsNullOrEmpty(message.MessageId))
        {
            var domain = message.From.Mailboxes.FirstOrDefault()?.Domain;
            message.MessageId = MimeUtils.GenerateMessageId(string.IsNullOrEmpty(domain) ? "localhost" : domain);
        }

        using var buffer = new BoundedBuffer(maxBytes);
        try
        {
            message.WriteTo(FormatOptions.Default, buffer);
        }
        catch (MessageTooLargeException)
        {
            throw new ArgumentException($"The message is larger than Mailing:Outbox:MaxMessageBytes ({maxBytes} bytes).", nameof(message));
        }

        return new OutboxEntry(
            message.MessageId,
            message.Subject ?? string.Empty,
            string.Join(", ", envelope.Recipients.Select(r => r.Address)),
            options.Envelope is null ? null : OutboxEnvelope.Format(options.Envelope),
            buffer.ToArray());
    }

    private sealed class MessageTooLargeException : Exception;

    /// <summary>A memory stream that stops the writer once it passes the limit, so an oversized message is never buffered whole.</summary>
    private sealed class BoundedBuffer(int maxBytes) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Length + count > maxBytes)
                throw new MessageTooLargeException();
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Length + buffer.Length > maxBytes)
                throw new MessageTooLargeException();
            base.Write(buffer);
        }

        public override void WriteByte(byte value)
        {
            if (Length + 1 > maxBytes)
                throw new MessageTooLargeException();
            base.WriteByte(value);
        }
    }
}
