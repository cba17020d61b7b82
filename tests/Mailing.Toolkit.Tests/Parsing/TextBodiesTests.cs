using System.Text;
using Mailing.Toolkit.Parsing.Internal;
using MimeKit;

namespace Mailing.Toolkit.Tests.Parsing;

/// <summary>
/// The text decoding must give exactly what MimeKit's <see cref="TextPart.Text"/> gives, except for mislabelled UTF-8
/// (valid UTF-8 with non-ASCII under a legacy charset), which must give what MimeKit gives when told it is UTF-8.
/// </summary>
public sealed class TextBodiesTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "TestData");

    public static TheoryData<string> Corpus() =>
        new(Directory.EnumerateFiles(Root, "*.eml", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(Root, path)).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Corpus))]
    public void EveryTextPartOfTheCorpus_DecodesAsMimeKitDecodesIt(string file)
    {
        foreach (var part in TextParts(File.ReadAllBytes(Path.Combine(Root, file))))
            Assert.Equal(IsMislabelledUtf8(part) ? part.GetText(Encoding.UTF8) : part.Text, TextBodies.Decode(part));
    }

    [Fact]
    public void TheCorpus_HoldsMislabelledUtf8_SoTheRuleIsExercised()
    {
        var parts = Directory.EnumerateFiles(Root, "*.eml", SearchOption.AllDirectories).SelectMany(path => TextParts(File.ReadAllBytes(path)));

        Assert.Contains(parts, IsMislabelledUtf8);
    }

    [Theory]
    [InlineData("gb2312", "8bit", true)]
    [InlineData("iso-2022-jp", "7bit", true)]
    [InlineData("windows-1252", "quoted-printable", false)]
    [InlineData("shift_jis", "base64", false)]
    public void MislabelledUtf8_UnderALegacyCharset_DecodesAsUtf8(string charset, string encoding, bool inPlace)
    {
        const string Text = "代开各地 Grüße テスト";
        var utf8 = Encoding.UTF8.GetBytes(Text + "\r\n");
        var body = encoding switch
        {
            "quoted-printable" => Encoding.ASCII.GetBytes(string.Concat(utf8.Select(b => b is >= 33 and <= 126 and not (byte)'=' ? ((char)b).ToString() : b is (byte)'\r' or (byte)'\n' ? ((char)b).ToString() : $"={b:X2}"))),
            "base64" => Encoding.ASCII.GetBytes(Convert.ToBase64String(utf8) + "\r\n"),
            _ => utf8,
        };
        var raw = Encoding.ASCII.GetBytes($"From: a@example.test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n")
            .Concat(body)
            .ToArray();
        var part = Assert.Single(TextParts(raw));

        Assert.Equal(inPlace, TextBodies.TryDecodeInPlace(part, out _));
        Assert.Equal(Text + "\n", TextBodies.Decode(part));
        Assert.NotEqual(part.Text, TextBodies.Decode(part));
    }

    [Theory]
    [InlineData("iso-8859-2", "Łódź")]
    [InlineData("gb2312", "代开各地增值税发票")]
    [InlineData("shift_jis", "テスト")]
    public void RealLegacyText_KeepsItsDeclaredCharset(string charset, string text)
    {
        var raw = Encoding.ASCII.GetBytes($"From: a@example.test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
            .Concat(Encoding.GetEncoding(charset).GetBytes(text + "\r\n"))
            .ToArray();
        var part = Assert.Single(TextParts(raw));

        Assert.Equal(text + "\n", TextBodies.Decode(part));
    }

    /// <summary>The rule under test, restated: a legacy charset declared, and decoded bytes that are valid non-ASCII UTF-8.</summary>
    private static bool IsMislabelledUtf8(TextPart part)
    {
        var charset = part.ContentType.Charset;
        if (charset is null || charset.StartsWith("utf", StringComparison.OrdinalIgnoreCase) || charset.StartsWith("ucs", StringComparison.OrdinalIgnoreCase)
            || charset.StartsWith("unicode", StringComparison.OrdinalIgnoreCase) || part.Content is null)
            return false;
        using var decoded = new MemoryStream();
        part.Content.DecodeTo(decoded);
        var bytes = decoded.ToArray();
        return !System.Text.Ascii.IsValid(bytes) && !bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) && System.Text.Unicode.Utf8.IsValid(bytes);
    }

    [Fact]
    public void TheCorpus_TakesTheInPlacePathForMostParts()
    {
        var parts = Directory.EnumerateFiles(Root, "*.eml", SearchOption.AllDirectories).SelectMany(path => TextParts(File.ReadAllBytes(path))).ToList();

        var inPlace = parts.Count(part => TextBodies.TryDecodeInPlace(part, out _));

        Assert.True(inPlace > parts.Count / 3, $"{inPlace} of {parts.Count} text parts were decoded in place.");
    }

    [Theory]
    [InlineData("text/plain; charset=utf-8", "8bit", "Grüße aus Łódź", true)]
    [InlineData("text/plain", "7bit", "plain ASCII", true)]
    [InlineData("text/plain; charset=iso-8859-1", "7bit", "ASCII under Latin-1", true)]
    [InlineData("text/plain; charset=iso-8859-2", "8bit", "\u0141\u00f3d\u017a", false)]
    [InlineData("text/plain; charset=iso-2022-jp", "7bit", "\u001b$B$3$s$K$A$O\u001b(B", false)]
    [InlineData("text/plain; charset=utf-8", "quoted-printable", "Gr=C3=BC=C3=9Fe", false)]
    public void TheInPlacePath_IsTakenOnlyWhereItReadsTheBytesAsMimeKitDoes(string contentType, string encoding, string body, bool inPlace)
    {
        var charset = contentType.Contains("iso-8859-2", StringComparison.Ordinal) ? Encoding.GetEncoding("iso-8859-2") : Encoding.UTF8;
        var raw = Encoding.ASCII.GetBytes($"From: a@example.test\r\nMIME-Version: 1.0\r\nContent-Type: {contentType}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n")
            .Concat(charset.GetBytes(body + "\r\n"))
            .ToArray();
        var part = Assert.Single(TextParts(raw));

        Assert.Equal(inPlace, TextBodies.TryDecodeInPlace(part, out _));
        Assert.Equal(part.Text, TextBodies.Decode(part));
    }

    [Theory]
    [InlineData("one\r\ntwo\r\n")]
    [InlineData("cr\r\r\nlone\rcr\nlf\n\r\nend\r")]
    [InlineData("unix\nonly\n")]
    [InlineData("unix\nthen a bare cr at the end\r")]
    [InlineData("no newline at all\r")]
    public void LineEndings_AreConvertedAsMimeKitConvertsThem(string body)
    {
        var raw = Encoding.ASCII.GetBytes("From: a@example.test\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body);
        var part = Assert.Single(TextParts(raw));

        Assert.True(TextBodies.TryDecodeInPlace(part, out var text));
        Assert.Equal(part.Text, text);
    }

    [Fact]
    public void HtmlWithoutACharset_IsLeftToMimeKit_WhichReadsTheMetaTag()
    {
        var raw = Encoding.ASCII.GetBytes("From: a@example.test\r\nContent-Type: text/html\r\n\r\n<html><head><meta charset=\"iso-2022-jp\"></head><body>\u001b$B$3$s$K$A$O\u001b(B</body></html>\r\n");
        var part = Assert.Single(TextParts(raw));

        Assert.False(TextBodies.TryDecodeInPlace(part, out _));
        Assert.Equal(part.Text, TextBodies.Decode(part));
    }

    [Fact]
    public void InvalidUtf8_FallsBackToMimeKit()
    {
        var raw = Encoding.ASCII.GetBytes("From: a@example.test\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
            .Concat(new byte[] { 0x47, 0x72, 0xFC, 0xDF, 0x65, 0x0D, 0x0A })
            .ToArray();
        var part = Assert.Single(TextParts(raw));

        Assert.False(TextBodies.TryDecodeInPlace(part, out _));
        Assert.Equal(part.Text, TextBodies.Decode(part));
    }

    /// <summary>Parses the way the parser does (in place, over an exposable buffer) and returns every text part.</summary>
    private static List<TextPart> TextParts(byte[] raw)
    {
        var buffer = new MemoryStream(raw.Length);
        buffer.Write(raw);
        buffer.Position = 0;
        MimeMessage message;
        try
        {
            message = new MimeParser(new ParserOptions { RespectContentLength = false }, buffer, MimeFormat.Entity, persistent: true).ParseMessage();
        }
        catch (FormatException)
        {
            return [];
        }

        return message.BodyParts.OfType<TextPart>().ToList();
    }
}
