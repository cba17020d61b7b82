using System.Text.Json;
using Mailing.Toolkit.Parsing;

namespace Mailing.Toolkit.Tests.Parsing;

public sealed class ParsedMailJsonTests
{
    [Fact]
    public async Task Serialize_ParsedMessage_UsesTheDocumentedCamelCaseNames()
    {
        var mail = await ParserFactory.Create().ParseAsync("""
            Message-ID: <m@example.test>
            From: "Zoë" <zoe@example.test>
            To: a@example.test
            Subject: Re: Hi <there>
            List-Id: <l.example.test>
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain

            New text

            On Mon, 2 Mar 2026 at 10:00, A <a@example.test> wrote:
            > old
            --b
            Content-Type: application/pdf; name=a.pdf
            Content-Disposition: attachment; filename=a.pdf
            Content-Transfer-Encoding: base64

            JVBERg==
            --b--
            """);

        using var json = JsonDocument.Parse(ParsedMailJson.Serialize(mail));
        var root = json.RootElement;

        Assert.Equal("m@example.test", root.GetProperty("messageId").GetString());
        Assert.Equal("Hi <there>", root.GetProperty("normalizedSubject").GetString());
        Assert.Equal("Zoë", root.GetProperty("from")[0].GetProperty("name").GetString());
        Assert.Equal("zoe@example.test", root.GetProperty("from")[0].GetProperty("address").GetString());
        var attachment = root.GetProperty("attachments")[0];
        Assert.Equal(("a.pdf", "application/pdf", 4), (attachment.GetProperty("fileName").GetString(), attachment.GetProperty("contentType").GetString(), attachment.GetProperty("size").GetInt32()));
        Assert.Equal(64, attachment.GetProperty("sha256").GetString()!.Length);
        Assert.False(attachment.GetProperty("isInline").GetBoolean());
        Assert.False(root.GetProperty("autoReply").GetProperty("isAutoReply").GetBoolean());
        Assert.Equal("l.example.test", root.GetProperty("mailingList").GetProperty("id").GetString());
        Assert.True(root.TryGetProperty("reply", out var reply) && reply.TryGetProperty("visibleText", out _));
        Assert.False(root.TryGetProperty("bounce", out _));
        Assert.Equal(JsonValueKind.Array, root.GetProperty("warnings").ValueKind);
    }

    [Fact]
    public void Serialize_Indented_WritesLettersUnescapedAndHtmlEscaped()
    {
        var json = ParsedMailJson.Serialize(new ParsedMail { Subject = "Zażółć <b>" }, indented: true);

        Assert.Contains("\"subject\": \"Zażółć \\u003Cb\\u003E\"", json, StringComparison.Ordinal);
        Assert.Contains('\n', json);
    }
}
