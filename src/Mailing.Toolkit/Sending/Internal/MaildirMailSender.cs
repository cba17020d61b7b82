using System.Globalization;
using System.Text;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// Delivers into a Maildir the way an MTA does: the file is written under tmp/, flushed to disk, then
/// renamed into new/, so a reader never sees a partial message and a crash never loses an accepted one.
/// </summary>
internal sealed class MaildirMailSender : MailSenderBase
{
    private static readonly string HostPart = SanitizeHost(Environment.MachineName);

    private readonly string root;
    private readonly string tmp;
    private readonly string @new;
    private readonly bool durable;
    private long sequence;

    public MaildirMailSender(string? name, MaildirSenderOptions options, OutgoingMailPipeline pipeline, SendingTelemetry telemetry, TimeProvider timeProvider, ILogger<MaildirMailSender> logger)
        : base("maildir", name, pipeline, telemetry, timeProvider, logger)
    {
        root = Path.GetFullPath(options.Path);
        tmp = Path.Combine(root, "tmp");
        @new = Path.Combine(root, "new");
        durable = options.Durable;
        Directory.CreateDirectory(tmp);
        Directory.CreateDirectory(@new);
        Directory.CreateDirectory(Path.Combine(root, "cur"));
    }

    protected override async Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        var uniqueName = NextUniqueName();
        var tmpPath = Path.Combine(tmp, uniqueName);
        var newPath = Path.Combine(@new, uniqueName);
        try
        {
            var file = new FileStream(tmpPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await WriteEnvelopeHeadersAsync(file, mail.Envelope, cancellationToken).ConfigureAwait(false);
                await mail.Message.WriteToAsync(WireFormats.Maildir, file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (durable)
                    file.Flush(flushToDisk: true);
            }

            File.Move(tmpPath, newPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDelete(tmpPath);
            if (ex is OperationCanceledException)
                throw;
            throw new MailDeliveryException(
                $"Could not write the message into Maildir '{root}': {ex.Message}",
                "io", 0, null, isTransient: true, maybeDelivered: false, null, root, 1, ex);
        }

        var recipients = mail.Envelope.Recipients.Select(r => new RecipientResult(r.Address, true, 0, null, null)).ToArray();
        return new SendResult(mail.Message.MessageId ?? string.Empty, recipients, root, 1, newPath);
    }

    /// <summary>
    /// Like a delivery agent, records the envelope: Return-Path (the reverse path) and one X-Envelope-To per
    /// recipient, since Bcc recipients are in no header. Addresses were validated, so they carry no line breaks.
    /// </summary>
    private static async Task WriteEnvelopeHeadersAsync(Stream stream, MailEnvelope envelope, CancellationToken cancellationToken)
    {
        var builder = new StringBuilder();
        builder.Append("Return-Path: <").Append(envelope.Sender?.Address).Append(">\n");
        foreach (var recipient in envelope.Recipients)
            builder.Append("X-Envelope-To: <").Append(recipient.Address).Append(">\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(builder.ToString()), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>time.M{microseconds}P{pid}Q{sequence}R{random}.host: unique across processes and hosts, per the Maildir convention.</summary>
    private string NextUniqueName()
    {
        var now = TimeProvider.GetUtcNow();
        var seconds = now.ToUnixTimeSeconds();
        var micros = (now.Ticks % TimeSpan.TicksPerSecond) / 10;
        var q = Interlocked.Increment(ref sequence);
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.M{micros}P{Environment.ProcessId}Q{q}R{Random.Shared.Next():x8}.{HostPart}");
    }

    private static string SanitizeHost(string host) =>
        host.Replace("/", "\\057", StringComparison.Ordinal).Replace(":", "\\072", StringComparison.Ordinal);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover file in tmp/ is never read as a message.
        }
    }
}
