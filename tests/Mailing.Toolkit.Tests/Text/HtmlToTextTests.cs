using System.Text;
using Mailing.Toolkit.Text;

namespace Mailing.Toolkit.Tests.Text;

/// <summary>
/// HTML-to-text conversion: each TestData/html-to-text/NAME.html is compared with NAME.txt, plus the
/// robustness limits (nesting depth, input size, broken markup) that a file comparison cannot show.
/// </summary>
public sealed class HtmlToTextTests
{
    private static readonly string DataDirectory = Path.Combine(AppContext.BaseDirectory, "TestData", "html-to-text");

    public static TheoryData<string, int> Files => new()
    {
        { "welcome-email", 0 },
        { "nested-lists", 0 },
        { "blockquote", 0 },
        { "pre", 0 },
        { "entities", 0 },
        { "links", 0 },
        { "broken-html", 0 },
        { "script-style-comments", 0 },
        { "wrapping", 40 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Convert_TestDataFile_MatchesExpectedText(string name, int wrapColumn)
    {
        var html = File.ReadAllText(Path.Combine(DataDirectory, name + ".html"));

        var text = HtmlToText.Convert(html, new HtmlToTextOptions { WrapColumn = wrapColumn });

        Assert.Equal(ReadExpected(name), text);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Convert_TestDataFile_OutputIsNormalized(string name, int wrapColumn)
    {
        var html = File.ReadAllText(Path.Combine(DataDirectory, name + ".html"));

        var text = HtmlToText.Convert(html, new HtmlToTextOptions { WrapColumn = wrapColumn });

        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain("\n\n\n", text, StringComparison.Ordinal);
        Assert.Equal(text.Trim(), text);
        Assert.All(text.Split('\n'), line => Assert.Equal(line.TrimEnd(), line));
    }

    [Fact]
    public void Convert_WelcomeEmail_KeepsEveryOrderRowOnOneLine()
    {
        var html = File.ReadAllText(Path.Combine(DataDirectory, "welcome-email.html"));

        var lines = HtmlToText.Convert(html).Split('\n');

        Assert.Contains("Item | Qty | Price", lines);
        Assert.Contains("Trail running shoes | 1 | €89.00", lines);
        Assert.Contains("Gift card €25 | 1 | €25.00", lines);
        Assert.Equal(21, lines.Count(l => l.Contains(" | ", StringComparison.Ordinal) && l.Contains('€', StringComparison.Ordinal)));
    }

    [Fact]
    public void Convert_Null_ThrowsArgumentNullException()
    {
        var exception = Assert.Throws<ArgumentNullException>(() => HtmlToText.Convert(null!));

        Assert.Equal("html", exception.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \r\n\t ")]
    [InlineData("<html><head><title>Only a title</title></head><body> </body></html>")]
    [InlineData("<!-- only a comment --><script>var x;</script>")]
    public void Convert_NoVisibleText_ReturnsEmpty(string html)
    {
        Assert.Equal(string.Empty, HtmlToText.Convert(html));
    }

    [Fact]
    public void Convert_PlainTextFragment_ReturnsTheTextWithCollapsedWhitespace()
    {
        Assert.Equal("Hello there, world", HtmlToText.Convert("  Hello \r\n  there,\tworld  "));
    }

    [Fact]
    public void Convert_IncludeLinkUrlsFalse_WritesOnlyTheLinkText()
    {
        var options = new HtmlToTextOptions { IncludeLinkUrls = false };

        var text = HtmlToText.Convert("<p>Read <a href=\"https://example.com/a\">the guide</a> or <a href=\"mailto:a@example.com\">write</a>.</p>", options);

        Assert.Equal("Read the guide or write.", text);
    }

    [Fact]
    public void Convert_DefaultOptions_AreNoWrappingAndLinkUrls()
    {
        Assert.Equal(0, HtmlToTextOptions.Default.WrapColumn);
        Assert.True(HtmlToTextOptions.Default.IncludeLinkUrls);
        Assert.Equal("a (https://b.example/)", HtmlToText.Convert("<a href=\"https://b.example/\">a</a>", null));
    }

    [Fact]
    public void Convert_HiddenPreheader_IsDropped()
    {
        var html = "<div style=\"display: none !important; max-height:0\">Preview text</div><span hidden>also hidden</span><p>Body</p>";

        Assert.Equal("Body", HtmlToText.Convert(html));
    }

    [Fact]
    public void Convert_HiddenElementNeverClosed_KeepsTheRestVisible()
    {
        Assert.Equal("Before\nAfter", HtmlToText.Convert("<div>Before</div><div style=\"display:none\"><div>After</div>"));
    }

    [Fact]
    public void Convert_CarriageReturnsInPre_BecomeLineFeeds()
    {
        Assert.Equal("a\nb\n\nc", HtmlToText.Convert("<pre>\r\na\r\nb\r\n\r\nc\r\n</pre>"));
    }

    [Fact]
    public void Convert_NegativeWrapColumn_DoesNotWrap()
    {
        var options = new HtmlToTextOptions { WrapColumn = -1 };

        Assert.Equal("one two three four", HtmlToText.Convert("<p>one two three four</p>", options));
    }

    [Fact]
    public void Convert_WordLongerThanWrapColumn_StaysWholeOnItsOwnLine()
    {
        var options = new HtmlToTextOptions { WrapColumn = 10 };

        var text = HtmlToText.Convert("<p>see https://example.com/long/path now</p>", options);

        Assert.Equal("see\nhttps://example.com/long/path\nnow", text);
    }

    [Fact]
    public void Convert_TenThousandNestedDivs_DoesNotOverflowTheStack()
    {
        var html = Repeat("<div>", 10_000) + "deep" + Repeat("</div>", 10_000) + "<p>after</p>";

        // A small stack makes any recursion over the nesting fail loudly.
        var text = RunWithSmallStack(() => HtmlToText.Convert(html));

        Assert.Equal("deep\n\nafter", text);
    }

    [Fact]
    public void Convert_TenThousandUnclosedNestedElements_DoesNotOverflowTheStack()
    {
        var html = Repeat("<div><span><b><a href=\"https://example.com/\">", 10_000) + "deep";

        var text = RunWithSmallStack(() => HtmlToText.Convert(html));

        Assert.Equal("deep (https://example.com/)", text);
    }

    [Fact]
    public void Convert_HundredThousandNestedElements_DoesNotOverflowTheStack()
    {
        var html = Repeat("<DIV><span class=\"x\"><table><tr><td>", 100_000) + "deep" + Repeat("</td></tr></table></span></DIV>", 100_000) + "<p>after</p>";

        var text = RunWithSmallStack(() => HtmlToText.Convert(html));

        Assert.Equal("deep\n\nafter", text);
    }

    [Fact]
    public void Convert_HiddenElementWithVeryLongStyle_IsDropped()
    {
        var html = "<p>Body</p><div style=\"" + Repeat("color: red; ", 100_000) + "display : none\">preheader</div><p>End</p>";

        Assert.Equal("Body\n\nEnd", HtmlToText.Convert(html));
    }

    [Fact]
    public void Convert_ScriptWritingMarkup_IsDroppedUpToItsEndTag()
    {
        var html = "<p>a</p><SCRIPT>document.write('</div><p>not text</p>'); // </scripts>\n</script ><p>b</p>";

        Assert.Equal("a\n\nb", HtmlToText.Convert(html));
    }

    [Fact]
    public void Convert_DeeplyNestedQuotesAndLists_CapsTheIndentation()
    {
        var html = Repeat("<blockquote>", 5_000) + Repeat("<ul><li>", 5_000) + "x";

        var text = RunWithSmallStack(() => HtmlToText.Convert(html));

        // Ten quote levels ("> " each) and ten list levels (two spaces each) at most.
        Assert.Equal(new string('>', 10).Replace(">", "> ", StringComparison.Ordinal) + new string(' ', 20) + "- x", text);
    }

    [Fact]
    public void Convert_StrayEndTagsAndItemsUnderDeepNesting_AreHandled()
    {
        // Stray end tags under a deep stack and many items under deep markup: each costs O(depth)
        // in a converter that searches its stack (billions of steps for this input), O(1) here.
        var html = new StringBuilder()
            .Append(Repeat("<div>", 20_000))
            .Append(Repeat("</span>", 200_000))
            .Append("<ul>").Append(Repeat("<div>", 20_000)).Append(Repeat("<li>x</li>", 20_000))
            .ToString();

        var text = HtmlToText.Convert(html);

        Assert.Equal(20_000, text.Split('\n').Length);
        Assert.All(text.Split('\n'), line => Assert.Equal("- x", line));
    }

    [Fact]
    public void Convert_LargeDocument_ConvertsEveryParagraph()
    {
        var html = "<html><body>" + Repeat("<p>Paragraph with <b>bold</b> &amp; <a href=\"https://example.com/\">a link</a>.</p>\n", 20_000) + "</body></html>";

        var text = HtmlToText.Convert(html);

        Assert.Equal(20_000, text.Split("\n\n").Length);
        Assert.StartsWith("Paragraph with bold & a link (https://example.com/).", text, StringComparison.Ordinal);
    }

    private static string ReadExpected(string name)
    {
        var text = File.ReadAllText(Path.Combine(DataDirectory, name + ".txt")).Replace("\r\n", "\n", StringComparison.Ordinal);
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    private static string Repeat(string value, int count) => new StringBuilder(value.Length * count).Insert(0, value, count).ToString();

    private static string RunWithSmallStack(Func<string> convert)
    {
        string? result = null;
        Exception? error = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    result = convert();
                }
                catch (Exception ex)
                {
                    error = ex;
                }
            },
            maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        if (error is not null)
            throw new InvalidOperationException("The conversion failed.", error);
        return result!;
    }
}
