using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>The small order mail the storage tests queue.</summary>
internal static class OutboxMessages
{
    public static MimeMessage Create(string subject = "Hello", string to = "bob@example.test")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("shop@example.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Body of " + subject };
        return message;
    }
}
