using Mailing.Toolkit.AutoResponding;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>The handler behind <c>AutoRespond()</c>: the auto-responder decides, with the recipient the route matched.</summary>
internal sealed class AutoRespondHandler(IAutoResponder responder) : IInboundMailHandler
{
    public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken) =>
        responder.RespondAsync(mail.Mail, new AutoReplyContext(mail.Recipient, mail.Authentication, mail.Spam?.IsSpam == true), cancellationToken);
}
