using BenchmarkDotNet.Attributes;
using Mailing.Toolkit.Benchmarks.Infrastructure;
using Mailing.Toolkit.Sending.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// The CPU cost per message of what IMailSender does before and after the SMTP exchange, without any
/// network, next to the cost of writing the message once (which MailKit does on every send).
/// Run with --filter '*SendPipelineOverhead*'.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SendPipelineOverheadBenchmarks
{
    private readonly MimeMessage message = BenchMessages.Create(0);
    private readonly OutgoingMailPipeline pipeline = new(Options.Create(new MailingOptions { DefaultFrom = BenchMessages.From }), []);
    private readonly MailEnvelope envelope = MailEnvelope.FromMessage(BenchMessages.Create(0));
    private NoTransportSender sender = null!;

    [GlobalSetup]
    public void Setup() => sender = new NoTransportSender(pipeline);

    [Benchmark(Baseline = true, Description = "MimeMessage.WriteTo(Stream.Null)")]
    public void WriteMessage() => message.WriteTo(FormatOptions.Default, Stream.Null);

    [Benchmark(Description = "MailEnvelope.FromMessage")]
    public MailEnvelope Envelope() => MailEnvelope.FromMessage(message);

    [Benchmark(Description = "MessageSafety.EnsureHeadersSafe")]
    public void HeaderCheck() => MessageSafety.EnsureHeadersSafe(message);

    [Benchmark(Description = "MailEnvelope -> MailKit addresses")]
    public MailboxAddress[] EnvelopeToMailKit() => envelope.Recipients.Select(r => r.ToMailboxAddress()).Append(envelope.Sender!.ToMailboxAddress()).ToArray();

    [Benchmark(Description = "OutgoingMailPipeline.PrepareAsync")]
    public ValueTask<OutgoingMail> Prepare() => pipeline.PrepareAsync(message, null, null, CancellationToken.None);

    [Benchmark(Description = "MailSenderBase.SendAsync, no transport")]
    public Task<SendResult> SendWithoutTransport() => sender.SendAsync(message);

    /// <summary>Everything of IMailSender.SendAsync except the transport: pipeline, activity, metrics, logs.</summary>
    private sealed class NoTransportSender(OutgoingMailPipeline pipeline)
        : MailSenderBase("none", null, pipeline, new SendingTelemetry(new MailingInstrumentation()), TimeProvider.System, NullLogger.Instance)
    {
        private static readonly RecipientResult[] Accepted = [new(BenchMessages.To, true, 250, "2.0.0", "2.0.0 Ok")];

        protected override Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken) =>
            Task.FromResult(new SendResult(mail.Message.MessageId ?? string.Empty, Accepted, "127.0.0.1:25", 1, "2.0.0 Ok"));
    }
}
