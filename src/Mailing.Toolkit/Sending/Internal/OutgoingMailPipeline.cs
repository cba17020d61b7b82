using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// What every sender does before its transport: fill the default From and a Message-ID, derive the
/// envelope, run the <see cref="IOutgoingMailFilter"/>s by stage (registration order within a stage, so a
/// signature filter runs last whenever it was added), then reject unsafe headers.
/// </summary>
internal sealed class OutgoingMailPipeline
{
    private readonly EmailAddress? defaultFrom;
    private readonly IOutgoingMailFilter[] filters;

    public OutgoingMailPipeline(IOptions<MailingOptions> options, IEnumerable<IOutgoingMailFilter> filters)
    {
        var configured = options.Value.DefaultFrom;
        defaultFrom = string.IsNullOrWhiteSpace(configured) ? null : EmailAddress.Parse(configured);
        // OrderBy is a stable sort: filters of one stage keep their registration order.
        this.filters = filters.OrderBy(f => f.Stage).ToArray();
    }

    public async ValueTask<OutgoingMail> PrepareAsync(MimeMessage message, MailEnvelope? envelope, string? senderName, CancellationToken cancellationToken)
    {
        if (message.From.Count == 0)
        {
            if (defaultFrom is null)
                throw new ArgumentException("The message has no From address: set From on the message, or configure Mailing:DefaultFrom.", nameof(message));
            message.From.Add(defaultFrom.ToMailboxAddress());
        }

        if (string.IsNullOrEmpty(message.MessageId))
        {
            var domain = message.From.Mailboxes.FirstOrDefault()?.Domain;
            message.MessageId = MimeUtils.GenerateMessageId(string.IsNullOrEmpty(domain) ? "localhost" : domain);
        }

        var mail = new OutgoingMail(message, envelope ?? MailEnvelope.FromMessage(message), senderName);
        foreach (var filter in filters)
            await filter.OnSendingAsync(mail, cancellationToken).ConfigureAwait(false);

        // Last, so a header a filter added is held to the same rule as the caller's.
        MessageSafety.EnsureHeadersSafe(message);
        return mail;
    }
}
