using System.Net;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Security;

/// <summary>The GTUBE test message and a plain ham message, and a container with one classifier.</summary>
internal static class SpamMessages
{
    /// <summary>The Generic Test for Unsolicited Bulk Email: every SpamAssassin and rspamd calls it spam.</summary>
    public const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    public static MimeMessage GtubeMessage() => Create("Test spam", $"This is the GTUBE, the\n\n  Generic Test for Unsolicited Bulk Email\n\n{Gtube}\n");

    public static MimeMessage HamMessage() => Create(
        "Lunch on Thursday",
        "Hi Bob,\n\nshall we meet for lunch on Thursday at noon? The place near the station has a new menu,\n" +
        "and I would like to hear how the move went.\n\nAlice\n");

    public static SpamCheckContext Context() => new()
    {
        Connection = new MailConnectionInfo(IPAddress.Parse("192.0.2.10"), "mail.example.com", "alice@example.com"),
        ClientHostName = "mail.example.com",
        Recipients = ["bob@example.org", "carol@example.org"],
    };

    public static ServiceProvider Services(Action<IMailingBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure(services.AddMailing());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private static MimeMessage Create(string subject, string text)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@example.com"));
        message.To.Add(new MailboxAddress("Bob Example", "bob@example.org"));
        message.To.Add(new MailboxAddress("Carol Example", "carol@example.org"));
        message.Subject = subject;
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.com");
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }
}
