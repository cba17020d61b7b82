using System.Text;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Tests.Sending;

/// <summary>CR, LF and NUL in any user field never reach a header or an SMTP command.</summary>
public sealed class InjectionTests
{
    public static TheoryData<string> Payloads => new()
    {
        "x\r\nBcc: evil@example.test",
        "x\nBcc: evil@example.test",
        "x\rBcc: evil@example.test",
        "x\0Bcc: evil@example.test",
        "x\r\n\r\nMAIL FROM:<evil@example.test>",
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void EveryMailMessageField_RejectsThePayloadNamingTheField(string payload)
    {
        AssertRejected("Subject", () => new MailMessage { Subject = payload });
        AssertRejected("Display name", () => new MailMessage { To = { new EmailAddress("a@example.test", payload) } });
        AssertRejected("Email address", () => new MailMessage { To = { "a@example.test" + payload } });
        AssertRejected("Header 'X-Tag' value", () => new MailMessage().Headers.Add("X-Tag", payload));
        AssertRejected("Attachment file name", () => MailAttachment.FromBytes([1], "a" + payload + ".txt"));
        AssertRejected("Attachment content type", () => MailAttachment.FromBytes([1], "a.txt", "text/plain" + payload));
        AssertRejected("Attachment Content-ID", () => MailAttachment.FromBytes([1], "a.png").AsInline("id" + payload));
        AssertRejected("Message-ID", () => new MailMessage { MessageId = "id@example.test" + payload });
        AssertRejected("Folder name", () => Mailing.Toolkit.Receiving.MailDisposition.MoveTo("Archive" + payload));
        AssertRejected("Search value", () => Mailing.Toolkit.Mailboxes.MailSearch.Subject(payload));
    }

    [Fact]
    public async Task SendAsync_HandMadeMimeMessageWithRawInjectedHeader_IsRefusedBeforeAnyConnection()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port);
        using var message = SenderFactory.Message().ToMimeMessage();
        var header = new Header("X-Tag", "safe");
        header.SetRawValue(Encoding.ASCII.GetBytes(" safe\r\nBcc: evil@example.test\r\n"));
        message.Headers.Add(header);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => provider.GetRequiredService<IMailSender>().SendAsync(message));

        Assert.Contains("X-Tag", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Sessions);
    }

    [Fact]
    public async Task SendAsync_MimeKitSubjectWithLineBreaks_ArrivesAsOneSubjectAndNoExtraHeaderOrRecipient()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port);
        using var message = SenderFactory.Message().ToMimeMessage();
        message.Subject = "Hello\r\nBcc: evil@example.test";

        await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var received = Assert.Single(server.Messages);
        Assert.Equal(["alice@example.test"], received.To);
        var parsed = received.Parse();
        Assert.Empty(parsed.Bcc);
        Assert.DoesNotContain(parsed.Headers, h => h.Field.Equals("Bcc", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SendAsync_BodyThatLooksLikeEndOfDataAndANewTransaction_IsDeliveredAsOneMessage()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port);
        var message = SenderFactory.Message();
        message.TextBody = "line one\r\n.\r\nMAIL FROM:<evil@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n";

        await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var received = Assert.Single(server.Messages);
        Assert.Equal(["alice@example.test"], received.To);
        Assert.Equal("app@example.test", received.From);
        Assert.Contains("MAIL FROM:<evil@example.test>", received.Parse().TextBody, StringComparison.Ordinal);
    }

    private static void AssertRejected(string field, Action action)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(action);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
    }
}
