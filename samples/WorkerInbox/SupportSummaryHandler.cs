using System.Text.Encodings.Web;
using System.Text.Json;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.Logging;

namespace WorkerInbox;

/// <summary>
/// Stores a summary of each support message as one JSON line: who wrote, about what, the new text without the quoted
/// history, and the attachment names. A real app would create a ticket here.
/// </summary>
internal sealed partial class SupportSummaryHandler(SummaryFile file, ILogger<SupportSummaryHandler> logger) : IInboundMailHandler
{
    // Addresses and text as they are: the file is read by people and tools, not embedded in HTML.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        var parsed = mail.Mail;
        var summary = new
        {
            messageId = parsed.MessageId,
            receivedAt = mail.Received.ReceivedAt,
            route = mail.Route.Name,
            recipient = mail.Recipient,
            from = parsed.From.Count > 0 ? parsed.From[0].Address : null,
            subject = parsed.Subject,
            text = parsed.Reply?.VisibleText ?? parsed.TextBody,
            attachments = parsed.Attachments.Where(a => !a.IsInline).Select(a => a.FileName).ToArray(),
        };

        // Idempotent: a message handed again after a crash is not stored twice.
        if (await file.AppendOnceAsync(parsed.MessageId, JsonSerializer.Serialize(summary, Json), cancellationToken))
            Stored(logger, parsed.MessageId, file.Path);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored a summary of {MessageId} in {File}")]
    private static partial void Stored(ILogger logger, string? messageId, string file);
}

/// <summary>The JSON Lines file the summaries go to; one writer at a time.</summary>
internal sealed class SummaryFile(string path) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public string Path { get; } = path;

    public async Task<bool> AppendOnceAsync(string? messageId, string line, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var marker = messageId is null ? null : $"\"messageId\":{JsonSerializer.Serialize(messageId)}";
            if (marker is not null && File.Exists(Path) && (await File.ReadAllLinesAsync(Path, cancellationToken)).Any(l => l.Contains(marker, StringComparison.Ordinal)))
                return false;
            await File.AppendAllTextAsync(Path, line + Environment.NewLine, cancellationToken);
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();
}
