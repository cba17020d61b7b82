using MimeKit;

namespace Mailing.Toolkit.Tests.Abstractions;

public sealed class MailMessageTests
{
    [Fact]
    public void ToMimeMessage_TextHtmlInlineAndAttachment_NestsMixedAlternativeRelated()
    {
        var message = new MailMessage
        {
            From = "Shop <shop@example.test>",
            To = { "alice@example.test" },
            Subject = "Order",
            TextBody = "text",
            HtmlBody = "<img src=\"cid:logo\">",
            Attachments =
            {
                MailAttachment.FromBytes([1, 2, 3], "invoice.pdf"),
                MailAttachment.FromBytes([4, 5], "logo.png").AsInline("logo"),
            },
        };

        using var mime = message.ToMimeMessage();

        var mixed = Assert.IsType<Multipart>(mime.Body);
        Assert.Equal("multipart/mixed", mixed.ContentType.MimeType);
        var alternative = Assert.IsType<MultipartAlternative>(mixed[0]);
        Assert.Equal("text/plain", alternative[0].ContentType.MimeType);
        var related = Assert.IsType<MultipartRelated>(alternative[1]);
        Assert.Equal("text/html", related[0].ContentType.MimeType);
        Assert.Equal("logo", related[1].ContentId);
        var invoice = Assert.IsType<MimePart>(mixed[1]);
        Assert.Equal("application/pdf", invoice.ContentType.MimeType);
        Assert.Equal("invoice.pdf", invoice.FileName);
        Assert.EndsWith("@example.test", mime.MessageId, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMimeMessage_OneClickUnsubscribe_WritesBothRfc8058Headers()
    {
        var message = new MailMessage
        {
            From = "news@example.test",
            To = { "alice@example.test" },
            ListUnsubscribe = new ListUnsubscribe { Url = new Uri("https://example.test/unsub?u=1 2"), Mailto = "unsub@example.test", OneClick = true },
        };

        using var mime = message.ToMimeMessage();

        Assert.Equal("<https://example.test/unsub?u=1%202>, <mailto:unsub@example.test?subject=unsubscribe>", mime.Headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", mime.Headers["List-Unsubscribe-Post"]);
    }

    [Fact]
    public void ToMimeMessage_OneClickWithoutHttps_Throws()
    {
        var message = new MailMessage
        {
            To = { "alice@example.test" },
            ListUnsubscribe = new ListUnsubscribe { Mailto = "unsub@example.test", OneClick = true },
        };

        var ex = Assert.Throws<ArgumentException>(message.ToMimeMessage);
        Assert.Contains("https", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMimeMessage_HighPriority_WritesPriorityHeaders()
    {
        using var mime = new MailMessage { To = { "a@example.test" }, Priority = MailPriority.High }.ToMimeMessage();

        Assert.Equal("urgent", mime.Headers[HeaderId.Priority]);
        Assert.Equal("high", mime.Headers[HeaderId.Importance]);
        Assert.StartsWith("2", mime.Headers[HeaderId.XPriority], StringComparison.Ordinal);
    }

    [Fact]
    public void MessageId_Override_IsUsedWithoutBrackets()
    {
        using var mime = new MailMessage { To = { "a@example.test" }, MessageId = "<order-1042@shop.example>" }.ToMimeMessage();

        Assert.Equal("order-1042@shop.example", mime.MessageId);
    }

    [Theory]
    [InlineData("no-at-sign")]
    [InlineData("a b@example.test")]
    [InlineData("x@example.test\r\nBcc: evil@example.test")]
    public void MessageId_Invalid_IsRejected(string id)
    {
        Assert.Throws<ArgumentException>(() => new MailMessage { MessageId = id });
    }

    [Fact]
    public void Headers_NameModelledByAProperty_IsRejectedWithAHint()
    {
        var message = new MailMessage();

        var ex = Assert.Throws<ArgumentException>(() => message.Headers.Add("Bcc", "evil@example.test"));

        Assert.Contains("MailMessage property", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X Bad")]
    [InlineData("X-Bad:")]
    [InlineData("X-Bad\r\nBcc")]
    public void Headers_InvalidName_IsRejected(string name)
    {
        Assert.Throws<ArgumentException>(() => new MailMessage().Headers.Add(name, "value"));
    }

    [Fact]
    public void FromStream_Seekable_IsReadAgainForEachWrite()
    {
        using var content = new MemoryStream([10, 20, 30]);
        var message = new MailMessage { To = { "a@example.test" }, Attachments = { MailAttachment.FromStream(content, "data.bin") } };
        using var mime = message.ToMimeMessage();

        var first = Serialize(mime);
        var second = Serialize(mime);

        Assert.Equal(first, second);
        Assert.Contains("ChQe", first, StringComparison.Ordinal); // base64 of 10 20 30
    }

    [Fact]
    public void FromFile_Missing_ThrowsWithThePath()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => MailAttachment.FromFile("does-not-exist.pdf"));

        Assert.Contains("does-not-exist.pdf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMimeMessage_NullRecipient_NamesTheList()
    {
        var message = new MailMessage();
        message.Cc.Add(null!);

        var ex = Assert.Throws<ArgumentException>(message.ToMimeMessage);

        Assert.Contains("Cc", ex.Message, StringComparison.Ordinal);
    }

    private static string Serialize(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
