using System.Text;
using Mailing.Toolkit.Parsing;
using MimeKit;

namespace Mailing.Toolkit.Tests.Parsing;

/// <summary>Each limit of <see cref="MailParserOptions"/> hit by input built to break it.</summary>
public sealed class MailParserLimitTests
{
    [Fact]
    public async Task ParseAsync_LargerThanMaxMessageSize_ThrowsNamingTheLimit()
    {
        var parser = ParserFactory.Create(o => o.MaxMessageSize = 1000);

        var error = await Assert.ThrowsAsync<MailParseException>(() => parser.ParseAsync("From: a@example.test\n\n" + new string('x', 2000)).AsTask());

        Assert.Equal(nameof(MailParserOptions.MaxMessageSize), error.Limit);
        Assert.Contains("Mailing:Parsing:MaxMessageSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseAsync_NonSeekableStreamLargerThanMaxMessageSize_Throws()
    {
        var parser = ParserFactory.Create(o => o.MaxMessageSize = 100_000);
        var stream = new NonSeekableStream(Encoding.ASCII.GetBytes("From: a@example.test\r\n\r\n" + new string('x', 300_000)));

        var error = await Assert.ThrowsAsync<MailParseException>(() => parser.ParseAsync(stream).AsTask());

        Assert.Equal(nameof(MailParserOptions.MaxMessageSize), error.Limit);
    }

    [Fact]
    public async Task ParseAsync_TwentyMegabyteHeaderLine_IsRefusedBeforeMimeKit()
    {
        // MimeKit alone needs over 20 s for this; the guard refuses it after one scan.
        var parser = ParserFactory.Create();

        var error = await Assert.ThrowsAsync<MailParseException>(() => parser.ParseAsync("From: a@example.test\nSubject: " + new string('a', 20_000_000) + "\n\nbody\n").AsTask());

        Assert.Equal(nameof(MailParserOptions.MaxHeaderFieldLength), error.Limit);
        Assert.Contains("field 'Subject'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseAsync_HugeFoldedField_IsRefused()
    {
        var parser = ParserFactory.Create();
        var folded = string.Concat(Enumerable.Repeat("<aaaaaaaaaaaaaaaaaaaaaaaa@example.test>\n ", 5000));

        var error = await Assert.ThrowsAsync<MailParseException>(() => parser.ParseAsync("From: a@example.test\nReferences: " + folded + "\n\nbody\n").AsTask());

        Assert.Equal(nameof(MailParserOptions.MaxHeaderFieldLength), error.Limit);
    }

    [Fact]
    public async Task ParseAsync_HugeFieldInAPartHeader_IsRefused()
    {
        var parser = ParserFactory.Create(o => o.MaxHeaderFieldLength = 10_000);
        var raw = "From: a@example.test\nContent-Type: multipart/mixed;\n boundary=\"b1\"\n\npreamble\n--b1\nContent-Type: text/plain\nX-Long: "
            + new string('a', 20_000) + "\n\nhello\n--b1--\n";

        var error = await Assert.ThrowsAsync<MailParseException>(() => parser.ParseAsync(raw).AsTask());

        Assert.Equal(nameof(MailParserOptions.MaxHeaderFieldLength), error.Limit);
    }

    [Fact]
    public async Task ParseAsync_HugeFieldInAnAttachedMessageHeader_IsRefused()
    {
        var parser = ParserFactory.Create(o => o.MaxHeaderFieldLength = 10_000);
        var raw = "From: a@example.test\nContent-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: message/rfc822\n\nFrom: inner@example.test\nSubject: "
            + new string('a', 20_000) + "\n\ninner\n--b1--\n";

        var error = await Assert.ThrowsAsync<MailParseException>(() => parser.ParseAsync(raw).AsTask());

        Assert.Equal(nameof(MailParserOptions.MaxHeaderFieldLength), error.Limit);
    }

    [Fact]
    public async Task ParseAsync_LongBodyLines_AreNotHeaderFields()
    {
        var parser = ParserFactory.Create(o => o.MaxHeaderFieldLength = 1000);
        var line = new string('a', 50_000);
        var raw = $"From: a@example.test\nContent-Type: multipart/mixed; boundary=b1\n\n{line}\n--b1\nContent-Type: text/plain\n\n{line}\n--not-a-boundary\nX: {line}\n--b1--\n";

        var mail = await parser.ParseAsync(raw);

        Assert.StartsWith(line, mail.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseAsync_TooManyHeaderFields_IsRefused()
    {
        var parser = ParserFactory.Create(o => o.MaxHeaderCount = 100);

        var error = await Assert.ThrowsAsync<MailParseException>(() => parser.ParseAsync("From: a@example.test\n" + string.Concat(Enumerable.Repeat("X-A: b\n", 200)) + "\nbody\n").AsTask());

        Assert.Equal(nameof(MailParserOptions.MaxHeaderCount), error.Limit);
    }

    [Fact]
    public async Task ParseAsync_MorePartsThanMaxParts_KeepsTheFirstWithAWarning()
    {
        var parser = ParserFactory.Create(o => o.MaxParts = 10);
        var body = new Multipart("mixed") { new TextPart("plain") { Text = "first" } };
        for (var i = 0; i < 50; i++)
            body.Add(new MimePart("application", "octet-stream") { FileName = $"f{i}.bin", Content = new MimeContent(new MemoryStream([1])) });

        var mail = await parser.ParseAsync(ToStream(body));

        Assert.Equal("first", mail.TextBody);
        Assert.Equal(8, mail.Attachments.Count);
        Assert.Contains(mail.Warnings, w => w.Contains("MaxParts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ParseAsync_NestedDeeperThanMaxMimeDepth_LeavesDeepPartsOutWithAWarning()
    {
        var parser = ParserFactory.Create(o => o.MaxMimeDepth = 5);
        MimeEntity body = new TextPart("plain") { Text = "deep" };
        for (var i = 0; i < 20; i++)
            body = new Multipart("mixed") { body };

        var mail = await parser.ParseAsync(ToStream(body));

        Assert.Null(mail.TextBody);
        Assert.Contains(mail.Warnings, w => w.Contains("MaxMimeDepth", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ParseAsync_TenThousandNestedMultiparts_DoesNotCrash()
    {
        var raw = new StringBuilder("From: a@example.test\nContent-Type: multipart/mixed; boundary=b0\n\n");
        for (var i = 1; i < 10_000; i++)
            raw.Append("--b").Append(i - 1).Append("\nContent-Type: multipart/mixed; boundary=b").Append(i).Append("\n\n");

        var mail = await ParserFactory.Create().ParseAsync(raw.ToString());

        Assert.NotNull(mail);
    }

    [Fact]
    public async Task ParseAsync_BodyLongerThanMaxBodyLength_IsCutWithAWarning()
    {
        var parser = ParserFactory.Create(o => o.MaxBodyLength = 100);

        var mail = await parser.ParseAsync("From: a@example.test\n\n" + new string('x', 1000) + "\n");

        Assert.Equal(100, mail.TextBody?.Length);
        Assert.Contains(mail.Warnings, w => w.Contains("MaxBodyLength", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sha256_AttachmentLargerThanMaxAttachmentSize_Throws()
    {
        var parser = ParserFactory.Create(o => o.MaxAttachmentSize = 1000);
        var builder = new BodyBuilder { TextBody = "x" };
        builder.Attachments.Add("big.bin", new byte[5000]);
        var message = new MimeMessage { Body = builder.ToMessageBody() };

        var attachment = Assert.Single((await parser.ParseAsync(ToStream(message))).Attachments);

        var error = Assert.Throws<MailParseException>(() => attachment.Sha256);
        Assert.Equal(nameof(MailParserOptions.MaxAttachmentSize), error.Limit);
    }

    private static MemoryStream ToStream(MimeEntity body)
    {
        var message = new MimeMessage { Body = body };
        message.From.Add(MailboxAddress.Parse("a@example.test"));
        return ToStream(message);
    }

    private static MemoryStream ToStream(MimeMessage message)
    {
        var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        return stream;
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
