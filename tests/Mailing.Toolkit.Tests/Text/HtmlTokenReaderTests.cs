using System.Text;
using Mailing.Toolkit.Text.Internal;
using MimeKit.Text;

namespace Mailing.Toolkit.Tests.Text;

/// <summary>
/// The tokenizer behind HtmlToText: edge cases of the HTML tokenization rules, and agreement with MimeKit's
/// HtmlTokenizer (which the converter used before) on real mail.
/// </summary>
public sealed class HtmlTokenReaderTests
{
    private static readonly string DataDirectory = Path.Combine(AppContext.BaseDirectory, "TestData", "html-to-text");

    public static TheoryData<string> HtmlFiles() => new(
        Directory.EnumerateFiles(DataDirectory, "*.html", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "TestData", "reply", "talon", "fixtures"), "*.html", SearchOption.AllDirectories))
            .Append(Path.Combine(AppContext.BaseDirectory, "TestData", "templates", "expected", "welcome.en-US.html"))
            .Select(path => Path.GetRelativePath(AppContext.BaseDirectory, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(HtmlFiles))]
    public void Read_RealMailHtml_GivesTheSameTextTagsAndAttributesAsMimeKit(string file)
    {
        var html = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, file));

        Assert.Equal(MimeKitTokens(html), Tokens(html));
    }

    [Theory]
    [InlineData("<p>a &amp; b</p>")]
    [InlineData("x &notit; &notin; &amp;b &ampx &#65 &#65; &#x41; &#; &#x; &#xZ; &# & &NewLine;&hellip;&AMP;&Amp;")]
    [InlineData("a&#0;b&#128;c&#x110000;d&#xD800;e&#1;f&#x1F600;g&#9999999999;h")]
    [InlineData("<a title=\"&amp\" b='&ampx' c=&amp d=&lt;x e=&#65x f=&#65;x g=\"&notit;\" h=\"&amp;;b\" i=\"&amp;b\" j=\"&lt=b\">t</a>")]
    [InlineData("<p class=\"a\"class=\"b\"id=x>t</p><p =x \"y\"=z 'w>q</p><img src=x / alt=\"y\"><img alt=\"y\"/ >")]
    [InlineData("a<!-->b<!--->c<!-- --!>d<!-- --!->e-->f<!----->g<!-- a -- b -->h")]
    [InlineData("<!DOCTYPE html>a<![CDATA[ x > y ]]>b<!x>c<?y>d</ x>e</>f a<3 x<-y <> <1>")]
    [InlineData("<script>if (a < b) document.write(\"</div>\"); // </scriptx></script >after")]
    [InlineData("<script>a<!--<script>x</script>y</script>z</script>after")]
    [InlineData("<STYLE>p { }</Style>a<title>a &amp; b</title><textarea>x &lt;</TEXTAREA><xmp>&amp;<b></xmp>")]
    [InlineData("<p>Plain</p><plaintext><p>all &amp; <b>raw</b></p></plaintext> after")]
    [InlineData("a<b")]
    [InlineData("a<b x='1")]
    [InlineData("a<b/")]
    [InlineData("a</")]
    [InlineData("a<!--x")]
    [InlineData("a &eacute")]
    [InlineData("<style>abc</sty")]
    [InlineData("a<")]
    [InlineData("<xmp>a\0b &amp;</xmp><title>x\0y &amp;</title>c\0d<a title=\"e\0f\">g</a><plaintext>h\0i")]
    public void Read_EdgeCase_AgreesWithMimeKit(string html)
    {
        Assert.Equal(MimeKitTokens(html), Tokens(html));
    }

    [Theory]
    [InlineData("<a href=/path>x</a>", "<a href=/path>|x|</a>")] // MimeKit: href has no value, "ath" is an attribute
    [InlineData("<a/href=\"x\">y</a>", "<a href=x>|y|</a>")] // MimeKit: "ref"
    [InlineData("<p class=\"a\"/b=c>z", "<p class=a b=c>|z")] // MimeKit: "=c"
    [InlineData("<<b>x</b>", "<|<b>|x|</b>")] // MimeKit: "<<b>x" is text
    [InlineData("a <&amp; b", "a <& b")] // MimeKit: "&amp;" stays
    public void Read_WhereMimeKitLosesCharacters_FollowsTheHtmlRules(string html, string expected)
    {
        Assert.Equal(expected, string.Join("|", Tokens(html)));
    }

    [Fact]
    public void Read_TextWithoutMarkup_IsOneTextToken()
    {
        var reader = new HtmlTokenReader("Hello & goodbye, 1 < 2");

        Assert.True(reader.Read());
        Assert.Equal(HtmlTokenType.Text, reader.TokenType);
        Assert.Equal("Hello & goodbye, 1 < 2", reader.Text.ToString());
        Assert.False(reader.Read());
        Assert.Equal(HtmlTokenType.None, reader.TokenType);
    }

    [Theory]
    [InlineData("<DIV>", HtmlTagId.Div)]
    [InlineData("<BlockQuote>", HtmlTagId.BlockQuote)]
    [InlineData("<img>", HtmlTagId.Image)]
    [InlineData("<o:p>", HtmlTagId.Unknown)]
    [InlineData("<template>", HtmlTagId.Unknown)]
    [InlineData("<blockquotes>", HtmlTagId.Unknown)]
    public void Read_TagName_IsMappedIgnoringCase(string html, HtmlTagId expected)
    {
        var reader = new HtmlTokenReader(html);

        Assert.True(reader.Read());
        Assert.Equal(HtmlTokenType.StartTag, reader.TokenType);
        Assert.Equal(expected, reader.TagId);
        Assert.Equal(html[1..^1], reader.TagName.ToString());
    }

    [Fact]
    public void Read_Attributes_QuotedUnquotedAndValueless()
    {
        var reader = new HtmlTokenReader("<td title=\"a > b\" data-x='c \"d\"' width=100 nowrap HEIGHT = 5 ALT=\"&lt;&copy;\" style=\"x\" style=\"y\">");

        Assert.True(reader.Read());
        var attributes = Enumerable.Range(0, reader.AttributeCount).Select(i => $"{reader.GetAttributeName(i)}={reader.GetAttributeValue(i)}");
        Assert.Equal(["title=a > b", "data-x=c \"d\"", "width=100", "nowrap=", "HEIGHT=5", "ALT=<©", "style=x", "style=y"], attributes);
        Assert.Equal(5, reader.FindAttribute("alt"));
        Assert.Equal(6, reader.FindAttribute("style"));
        Assert.Equal(-1, reader.FindAttribute("href"));
    }

    [Fact]
    public void GetAttributeValue_ReferenceFollowedByEqualsOrLetter_StaysAsWritten()
    {
        var reader = new HtmlTokenReader("<a href=\"https://example.com/?a=1&amp;b=2&copy=3&lang=en&not;x\">");

        Assert.True(reader.Read());
        Assert.Equal("https://example.com/?a=1&b=2&copy=3&lang=en¬x", reader.GetAttributeValue(0).ToString());
    }

    [Fact]
    public void Text_ReferencesInRawTextAndReplaceableText_DecodedOnlyInReplaceableText()
    {
        Assert.Equal(["<xmp>", "&amp;<b>", "</xmp>", "<title>", "a & b", "</title>"], Tokens("<xmp>&amp;<b></xmp><title>a &amp; b</title>"));
    }

    [Fact]
    public void Read_ScriptContainingEndTagsOfOtherElements_RunsToTheScriptEndTag()
    {
        Assert.Equal(["<script>", "document.write('</div><p>x</p>'); </scripts>", "</script>", "after"], Tokens("<script>document.write('</div><p>x</p>'); </scripts></SCRIPT>after"));
    }

    [Theory]
    [InlineData("<p>before<!-- never closed <p>hidden</p>", "<p>|before|#")]
    [InlineData("<p>before<a href=\"https://example.com/cut", "<p>|before")]
    [InlineData("<p>before<b", "<p>|before")]
    [InlineData("<p>before</p", "<p>|before")]
    [InlineData("<p>before<![CDATA[ never closed", "<p>|before|#")]
    [InlineData("<p>a &eacute", "<p>|a &eacute")]
    [InlineData("<script>var x = '</p>never closed", "<script>|var x = '</p>never closed")]
    [InlineData("<style>p {}</sty", "<style>|p {}")]
    [InlineData("<p>1 <", "<p>|1 ")]
    public void Read_ConstructCutOffByTheEnd_IsDropped(string html, string expected)
    {
        Assert.Equal(expected, string.Join("|", Tokens(html, comments: true)));
    }

    [Theory]
    [InlineData("a<!-->b", "a|#|b")]
    [InlineData("a<!--->b", "a|#|b")]
    [InlineData("a<!-- x --!>b", "a|#|b")]
    [InlineData("a<!-- x --!->still comment-->b", "a|#|b")]
    [InlineData("a<!-- -- -->b", "a|#|b")]
    [InlineData("a<!--[if mso]><table><![endif]-->b", "a|#|b")]
    [InlineData("a<!DOCTYPE html>b<?xml version=\"1.0\"?>c<!x>d</ 5>e</>f", "a|#|b|#|c|#|d|#|ef")]
    public void Read_CommentsAndDeclarations_EndWhereTheRulesSay(string html, string expected)
    {
        Assert.Equal(expected, string.Join("|", Tokens(html, comments: true)));
    }

    [Fact]
    public void Read_HundredThousandNestedElements_ReadsEveryTag()
    {
        const int depth = 100_000;
        var html = Repeat("<div class=x>", depth) + "deep" + Repeat("</DIV>", depth);
        var reader = new HtmlTokenReader(html);
        int starts = 0, ends = 0;

        while (reader.Read())
        {
            if (reader.TokenType == HtmlTokenType.StartTag && reader.TagId == HtmlTagId.Div)
                starts++;
            else if (reader.TokenType == HtmlTokenType.EndTag && reader.TagId == HtmlTagId.Div)
                ends++;
        }

        Assert.Equal(depth, starts);
        Assert.Equal(depth, ends);
    }

    [Fact]
    public void GetAttributeValue_VeryLongAttribute_IsReadWhole()
    {
        var style = Repeat("color:red;", 200_000) + "display:none";
        var reader = new HtmlTokenReader($"<div STYLE=\"{style}\" id=x>text</div>");

        Assert.True(reader.Read());
        Assert.Equal(2, reader.AttributeCount);
        Assert.Equal(style.Length, reader.GetAttributeValue(0).Length);
        Assert.Equal("x", reader.GetAttributeValue(1).ToString());
        Assert.True(reader.Read());
        Assert.Equal("text", reader.Text.ToString());
    }

    /// <summary>Our tokens: merged text, tags with lowercase names and their attributes; comments as "#" if asked.</summary>
    private static List<string> Tokens(string html, bool comments = false)
    {
        var tokens = new List<string>();
        var text = new StringBuilder();
        var reader = new HtmlTokenReader(html);
        while (reader.Read())
        {
            if (reader.TokenType == HtmlTokenType.Text)
            {
                text.Append(reader.Text);
                continue;
            }

            Flush(tokens, text);
            if (reader.TokenType == HtmlTokenType.Comment)
            {
                if (comments)
                    tokens.Add("#");
                continue;
            }

            var attributes = Enumerable.Range(0, reader.AttributeCount).Select(i => (reader.GetAttributeName(i).ToString(), reader.GetAttributeValue(i).ToString())).ToList();
            tokens.Add(Tag(reader.TokenType == HtmlTokenType.EndTag, reader.TagName.ToString(), attributes, reader.IsSelfClosing));
        }

        Flush(tokens, text);
        return tokens;
    }

    /// <summary>MimeKit's tokens in the same form (script data counts as text; comments, doctypes and CDATA are skipped).</summary>
    private static List<string> MimeKitTokens(string html)
    {
        var tokens = new List<string>();
        var text = new StringBuilder();
        var tokenizer = new HtmlTokenizer(new StringReader(html)) { IgnoreTruncatedTags = true };
        while (tokenizer.ReadNextToken(out var token))
        {
            switch (token)
            {
                case HtmlDataToken data when token.Kind is HtmlTokenKind.Data or HtmlTokenKind.ScriptData:
                    text.Append(data.Data);
                    break;
                case HtmlTagToken tag:
                    Flush(tokens, text);
                    tokens.Add(Tag(tag.IsEndTag, tag.Name, tag.Attributes.Select(a => (a.Name, a.Value ?? "")).ToList(), tag.IsEmptyElement));
                    break;
                default:
                    Flush(tokens, text);
                    break;
            }
        }

        Flush(tokens, text);
        return tokens;
    }

    private static string Tag(bool isEndTag, string name, List<(string Name, string Value)> attributes, bool selfClosing) =>
        (isEndTag ? "</" : "<") + name.ToLowerInvariant()
            + string.Concat(attributes.Select(a => " " + a.Name.ToLowerInvariant() + "=" + a.Value))
            + (selfClosing ? "/>" : ">");

    private static void Flush(List<string> tokens, StringBuilder text)
    {
        if (text.Length > 0)
            tokens.Add(text.ToString());
        text.Clear();
    }

    private static string Repeat(string value, int count) => new StringBuilder(value.Length * count).Insert(0, value, count).ToString();
}
