using System.Security.Cryptography;
using System.Text;
using Mailing.Toolkit.Parsing;
using MimeKit;

namespace Mailing.Toolkit.Tests.Parsing;

public sealed class MailParserTests
{
    private readonly IMailParser parser = ParserFactory.Create();

    [Fact]
    public async Task ParseAsync_ReplyWithReferences_ReadsIdentityAndThread()
    {
        var mail = await parser.ParseAsync("""
            Message-ID: <c@example.test>
            In-Reply-To: <b@example.test>
            References: <a@example.test> <b@example.test>
            Date: Tue, 03 Mar 2026 10:15:00 +0100
            From: Alice <alice@example.test>
            To: Bob <bob@example.test>, carol@example.test
            Subject: Re: AW: Fwd: [team] Plan

            Sounds good.
            """);

        Assert.Equal("c@example.test", mail.MessageId);
        Assert.Equal("b@example.test", mail.InReplyTo);
        Assert.Equal(["a@example.test", "b@example.test"], mail.References);
        Assert.Equal("a@example.test", mail.ThreadId);
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 10, 15, 0, TimeSpan.FromHours(1)), mail.Date);
        Assert.Equal("Re: AW: Fwd: [team] Plan", mail.Subject);
        Assert.Equal("[team] Plan", mail.NormalizedSubject);
        Assert.Equal(new ParsedAddress("Alice", "alice@example.test"), Assert.Single(mail.From));
        Assert.Equal([new ParsedAddress("Bob", "bob@example.test"), new ParsedAddress(null, "carol@example.test")], mail.To);
        Assert.Equal("Sounds good.", mail.TextBody?.Trim());
        Assert.Empty(mail.Warnings);
    }

    [Fact]
    public async Task ParseAsync_CodePageEncodedWords_DecodeInTheirCharset()
    {
        // GB2312 and ISO-2022-JP need the code-page provider, which must be registered before MimeKit's first charset
        // lookup (CodePageCharsets); a late registration decodes these headers as Latin-1 ("´ú¿ª...").
        var mail = await parser.ParseAsync("""
            From: =?GB2312?B?1cXPyMn6?= <zhang@example.test>
            To: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= <test@example.test>
            Subject: =?GB2312?B?tPq/qrj3tdjU9ta1y7C3osax?=

            x
            """);

        Assert.Equal("代开各地增值税发票", mail.Subject);
        Assert.Equal("张先生", Assert.Single(mail.From).Name);
        Assert.Equal("テスト", Assert.Single(mail.To).Name);
    }

    [Fact]
    public async Task ParseAsync_NoReferences_ThreadIsInReplyToOrOwnId()
    {
        var reply = await parser.ParseAsync("Message-ID: <b@x.test>\nIn-Reply-To: <a@x.test>\nFrom: a@x.test\n\nhi\n");
        var first = await parser.ParseAsync("Message-ID: <a@x.test>\nFrom: a@x.test\n\nhi\n");

        Assert.Equal("a@x.test", reply.ThreadId);
        Assert.Equal("a@x.test", first.ThreadId);
        Assert.Null(first.Date);
    }

    [Fact]
    public async Task ParseAsync_UnreadableDate_IsNullWithAWarning()
    {
        var mail = await parser.ParseAsync("From: a@x.test\nDate: sometime last week\n\nhi\n");

        Assert.Null(mail.Date);
        Assert.Contains("Date header", Assert.Single(mail.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseAsync_InternationalAndEncodedAddresses_AreDecoded()
    {
        var mail = await parser.ParseAsync("""
            From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@xn--bcher-kva.example>
            Sender: list@example.test
            Reply-To: replies@example.test
            Cc: Group: one@example.test, two@example.test;
            Bcc: hidden@example.test
            Return-Path: <>
            Delivered-To: support@example.test
            Delivered-To: all@example.test
            Subject: =?iso-8859-2?q?Za=BF=F3=B3=E6_g=EA=B6l=B1_ja=BC=F1?=

            body
            """);

        Assert.Equal(new ParsedAddress("Jörg Müller", "joerg@bücher.example"), Assert.Single(mail.From));
        Assert.Equal("list@example.test", mail.Sender?.Address);
        Assert.Equal("replies@example.test", Assert.Single(mail.ReplyTo).Address);
        Assert.Equal(["one@example.test", "two@example.test"], mail.Cc.Select(a => a.Address));
        Assert.Equal("hidden@example.test", Assert.Single(mail.Bcc).Address);
        Assert.Equal(string.Empty, mail.ReturnPath?.Address);
        Assert.Equal(["support@example.test", "all@example.test"], mail.DeliveredTo);
        Assert.Equal("Zażółć gęślą jaźń", mail.Subject);
    }

    [Fact]
    public async Task ParseAsync_AlternativeWithRelatedImage_PicksBodiesAndListsInlinePart()
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@example.test"));
        var builder = new BodyBuilder { TextBody = "Cześć – plain", HtmlBody = "<p>Cześć – <img src=\"cid:logo\"></p>" };
        var image = builder.LinkedResources.Add("logo.png", [1, 2, 3, 4], new ContentType("image", "png"));
        image.ContentId = "logo";
        builder.Attachments.Add("report.pdf", Encoding.ASCII.GetBytes("%PDF-1.4 fake"), new ContentType("application", "pdf"));
        message.Body = builder.ToMessageBody();

        var mail = await Parse(message, FormatOptions.Default);

        Assert.Equal("Cześć – plain", mail.TextBody);
        Assert.Equal("<p>Cześć – <img src=\"cid:logo\"></p>", mail.HtmlBody);
        Assert.Equal(2, mail.Attachments.Count);
        var logo = mail.Attachments[0];
        Assert.Equal(("logo.png", "image/png", "logo", true, 4L), (logo.FileName, logo.ContentType, logo.ContentId, logo.IsInline, logo.Size));
        var pdf = mail.Attachments[1];
        Assert.Equal(("report.pdf", "application/pdf", false), (pdf.FileName, pdf.ContentType, pdf.IsInline));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes("%PDF-1.4 fake"))), pdf.Sha256);
    }

    [Fact]
    public async Task ParseAsync_HtmlOnly_TextBodyIsTheHtmlRendered()
    {
        var mail = await parser.ParseAsync("""
            From: a@example.test
            Content-Type: text/html; charset=utf-8

            <html><body><h1>Order</h1><ul><li>One</li><li>Two</li></ul><a href="https://example.test/o/1">Track</a></body></html>
            """);

        Assert.NotNull(mail.HtmlBody);
        Assert.Equal("Order\n=====\n\n- One\n- Two\n\nTrack (https://example.test/o/1)", mail.TextBody);
    }

    [Fact]
    public async Task ParseAsync_Latin2TextPart_IsDecodedWithItsCharset()
    {
        var raw = Encoding.Latin1.GetBytes("From: a@example.test\r\nContent-Type: text/plain; charset=iso-8859-2\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
            .Concat(new byte[] { 0xA3, 0xF3, 0x64, 0xBC }).ToArray();

        var mail = await parser.ParseAsync(new MemoryStream(raw));

        Assert.Equal("Łódź", mail.TextBody);
    }

    [Fact]
    public async Task OpenRead_TwoStreamsOfOneAttachment_AreIndependent()
    {
        var content = RandomNumberGenerator.GetBytes(100_000);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("a@example.test"));
        var builder = new BodyBuilder { TextBody = "see attached" };
        builder.Attachments.Add("data.bin", content);
        message.Body = builder.ToMessageBody();
        var attachment = Assert.Single((await Parse(message, FormatOptions.Default)).Attachments);

        await using var first = attachment.OpenRead();
        await using var second = attachment.OpenRead();
        var head = new byte[10];
        await first.ReadExactlyAsync(head);
        var all = new MemoryStream();
        await second.CopyToAsync(all);
        var rest = new MemoryStream();
        await first.CopyToAsync(rest);

        Assert.Equal(content, all.ToArray());
        Assert.Equal(content, head.Concat(rest.ToArray()).ToArray());
        Assert.Equal(content.Length, attachment.Size);
    }

    [Fact]
    public async Task ParseAsync_AttachedMessage_CanBeParsedInTurn()
    {
        var inner = new MimeMessage();
        inner.From.Add(MailboxAddress.Parse("original@example.test"));
        inner.Subject = "The original";
        inner.Body = new TextPart("plain") { Text = "original body" };
        var outer = new MimeMessage();
        outer.From.Add(MailboxAddress.Parse("forwarder@example.test"));
        outer.Subject = "Fwd: The original";
        outer.Body = new Multipart("mixed") { new TextPart("plain") { Text = "FYI" }, new MessagePart { Message = inner } };

        var mail = await Parse(outer, FormatOptions.Default);
        var attached = Assert.Single(mail.Attachments);
        Assert.True(attached.IsMessage);
        Assert.Equal("message/rfc822", attached.ContentType);
        await using var stream = attached.OpenRead();
        var parsed = await parser.ParseAsync(stream);

        Assert.Equal("FYI", mail.TextBody);
        Assert.Equal("The original", parsed.Subject);
        Assert.Equal("original body", parsed.TextBody?.Trim());
    }

    [Fact]
    public async Task ParseAsync_ListHeaders_FillMailingList()
    {
        var mail = await parser.ParseAsync("""
            From: dev@lists.example.test
            List-Id: Developers <dev.lists.example.test>
            List-Unsubscribe: <mailto:leave@lists.example.test>, <https://lists.example.test/u/1>
            List-Post: <mailto:dev@lists.example.test>
            Precedence: list

            hello list
            """);

        Assert.Equal(
            ("dev.lists.example.test", "mailto:dev@lists.example.test", "list"),
            (mail.MailingList?.Id, mail.MailingList?.Post, mail.MailingList?.Precedence));
        Assert.Equal(["mailto:leave@lists.example.test", "https://lists.example.test/u/1"], mail.MailingList!.Unsubscribe);
    }

    [Fact]
    public async Task ParseAsync_PlainMessage_HasNoMailingListAndHeadersInOrder()
    {
        var mail = await parser.ParseAsync("From: a@example.test\nX-Custom: one\nx-custom: two\nSubject: s\n\nbody\n");

        Assert.Null(mail.MailingList);
        Assert.Equal(["From", "X-Custom", "x-custom", "Subject"], mail.Headers.Select(h => h.Name));
        Assert.Equal("one", mail.GetHeader("X-CUSTOM"));
        Assert.Null(mail.GetHeader("Missing"));
    }

    [Fact]
    public async Task ParseAsync_Tnef_ListsTheFilesInside()
    {
        var content = Encoding.ASCII.GetBytes("hello from inside winmail.dat");
        var outer = new MimeMessage();
        outer.From.Add(MailboxAddress.Parse("outlook@example.test"));
        outer.Body = new Multipart("mixed") { new TextPart("plain") { Text = "see attached" }, TnefSample.Create("notes.txt", content) };

        var mail = await Parse(outer, FormatOptions.Default);

        var file = Assert.Single(mail.Attachments);
        Assert.Equal("notes.txt", file.FileName);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), file.Sha256);
    }

    [Fact]
    public async Task ParseAsync_NotMime_KeepsTheBytesAsOneAttachmentWithAWarning()
    {
        byte[] raw = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0, 1, 2, 3];

        var mail = await parser.ParseAsync(new MemoryStream(raw));

        var attachment = Assert.Single(mail.Attachments);
        Assert.Equal("application/vnd.ms-outlook", attachment.ContentType);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(raw)), attachment.Sha256);
        Assert.Contains("Outlook .msg", Assert.Single(mail.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MimeMessage_GivesTheSameResultAsTheStream()
    {
        var message = MimeMessage.Load(Path.Combine(AppContext.BaseDirectory, "TestData", "mime", "nodemailer", "mixed.eml"));

        var mail = parser.Parse(message);

        Assert.Equal(message.Subject, mail.Subject);
        Assert.Equal(message.TextBody, mail.TextBody);
    }

    private async Task<ParsedMail> Parse(MimeMessage message, FormatOptions format)
    {
        var stream = new MemoryStream();
        await message.WriteToAsync(format, stream);
        stream.Position = 0;
        return await parser.ParseAsync(stream);
    }
}
