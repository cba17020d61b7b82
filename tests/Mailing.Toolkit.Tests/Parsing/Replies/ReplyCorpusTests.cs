using System.Text.Json;
using System.Text.RegularExpressions;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Parsing.Internal.Replies;
using MimeKit;

namespace Mailing.Toolkit.Tests.Parsing.Replies;

/// <summary>
/// The reply corpora in TestData/reply, driven by their expected.json files: github/email_reply_parser (plain text,
/// exact visible text or fragment flags), mailgun/talon (.eml replies from common clients, HTML replies,
/// signature cases), and the C# and PHP ports of email_reply_parser (first fragment and visible text; each split
/// into a tuning and a check part).
/// </summary>
/// <remarks>
/// How the corpora's results map onto <see cref="ReplyParts"/>: email_reply_parser's visible text (the fragments
/// that are not hidden) is <see cref="ReplyParts.VisibleText"/>; its hidden quoted fragments are in
/// <see cref="ReplyParts.QuotedText"/>, its hidden signature fragments in <see cref="ReplyParts.Signature"/> (or, for a
/// list footer below the quote, in either). talon's reply extraction removes quotes only, so its expected text is the
/// new text followed by the signature; its signature cases compare the signature and the text above it.
/// </remarks>
public sealed class ReplyCorpusTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "TestData", "reply");
    private static readonly string ParserRoot = Path.Combine(Root, "email_reply_parser");
    private static readonly string TalonRoot = Path.Combine(Root, "talon");

    private static readonly JsonElement ParserExpected = Load(Path.Combine(ParserRoot, "expected.json"));
    private static readonly JsonElement TalonExpected = Load(Path.Combine(TalonRoot, "expected.json"));

    public static TheoryData<string> ParserExactCases => Names(ParserExpected, "parse_reply_exact");

    public static TheoryData<string> ParserFragmentCases => Names(ParserExpected, "fragments");

    public static TheoryData<string> TalonPlainCases => Names(TalonExpected, "standard_replies_plain");

    public static TheoryData<string> TalonHtmlCases => Names(TalonExpected, "html_replies");

    public static TheoryData<string> TalonSignatureCases => Names(TalonExpected, "signature_stripped");

    /// <summary>The two email_reply_parser ports: case index, corpus, split.</summary>
    public static TheoryData<string, int, string> PortCases
    {
        get
        {
            var data = new TheoryData<string, int, string>();
            foreach (var corpus in PortCorpora)
            {
                var cases = Load(Path.Combine(Root, corpus, "expected.json")).GetProperty("cases");
                for (var i = 0; i < cases.GetArrayLength(); i++)
                    data.Add(corpus, i, cases[i].GetProperty("split").GetString()!);
            }

            return data;
        }
    }

    internal static readonly string[] PortCorpora = ["email-reply-parser-csharp", "email-reply-parser-php"];

    private static readonly JsonElement TalonHtmlQuotations = Load(Path.Combine(Root, "talon-html-quotations", "expected.json")).GetProperty("cases");

    public static TheoryData<int, string> TalonHtmlQuotationCases
    {
        get
        {
            var data = new TheoryData<int, string>();
            for (var i = 0; i < TalonHtmlQuotations.GetArrayLength(); i++)
                data.Add(i, TalonHtmlQuotations[i].GetProperty("split").GetString()!);
            return data;
        }
    }

    /// <summary>
    /// talon's own HTML quotation tests: its expected HTML (the reply without the quote) rendered to text and
    /// compared with VisibleText then Signature, without white space.
    /// </summary>
    [Theory]
    [MemberData(nameof(TalonHtmlQuotationCases))]
    public void Extract_TalonHtmlQuotationCase_TextWithoutQuoteMatches(int index, string split)
    {
        var spec = TalonHtmlQuotations[index];
        var expected = WithoutWhiteSpace(Mailing.Toolkit.Text.HtmlToText.Convert(spec.GetProperty("expected_html").GetString()!));

        var parts = ReplyExtractor.Extract(null, spec.GetProperty("input").GetString()!);

        Assert.NotNull(parts);
        var actual = WithoutWhiteSpace(WithoutQuote(parts));
        AssertMatchesOrStillFails(expected, actual, KnownFailure(spec), $"talon html #{index} ({split}) {spec.GetProperty("name").GetString()}");
    }

    private static readonly JsonElement TalonQuotations = Load(Path.Combine(Root, "talon-quotations", "expected.json")).GetProperty("cases");

    public static TheoryData<int> TalonQuotationCases => new(Enumerable.Range(0, TalonQuotations.GetArrayLength()));

    /// <summary>
    /// talon's own plain-text quotation tests (held out: never used for tuning). talon returns the reply without the
    /// quote and with the signature, so the comparison is VisibleText then Signature, without white space.
    /// </summary>
    [Theory]
    [MemberData(nameof(TalonQuotationCases))]
    public void Extract_TalonQuotationCase_TextWithoutQuoteMatches(int index)
    {
        var spec = TalonQuotations[index];
        var expected = WithoutWhiteSpace(spec.GetProperty("expected").GetString()!);

        var parts = ReplyExtractor.Extract(spec.GetProperty("input").GetString()!, null);

        Assert.NotNull(parts);
        AssertMatchesOrStillFails(expected, WithoutWhiteSpace(WithoutQuote(parts)), KnownFailure(spec), $"talon #{index} {spec.GetProperty("name").GetString()}");
    }

    // A case listed with a known_failure must still fail, so the list (and the figures in docs/parsing.md) stay true.
    private static void AssertMatchesOrStillFails(string expected, string actual, string? knownFailure, string label)
    {
        if (knownFailure is not null)
            Assert.False(expected == actual, $"{label} passes now: remove its known_failure ({knownFailure}).");
        else
            Assert.True(expected == actual, $"{label}: expected\n{expected}\n---- got\n{actual}");
    }

    private static string? KnownFailure(JsonElement spec) => spec.TryGetProperty("known_failure", out var known) ? known.GetString() : null;

    [Theory]
    [MemberData(nameof(ParserExactCases))]
    public void Extract_EmailReplyParserExactCase_VisibleTextMatches(string name)
    {
        var expected = ParserExpected.GetProperty("parse_reply_exact").GetProperty(name).GetString()!;

        var parts = ExtractPlainFile(Path.Combine(ParserRoot, name + ".txt"));

        Assert.Equal(expected.Trim(), parts.VisibleText);
    }

    [Theory]
    [MemberData(nameof(ParserFragmentCases))]
    public void Extract_EmailReplyParserFragmentCase_FragmentsLandInTheirParts(string name)
    {
        var spec = ParserExpected.GetProperty("fragments").GetProperty(name);

        var parts = ExtractPlainFile(Path.Combine(ParserRoot, name + ".txt"));

        var hidden = Flags(spec, "hidden");
        var quoted = Flags(spec, "quoted");
        var signature = Flags(spec, "signature");
        var firstHiddenQuote = hidden is null || quoted is null ? -1 : Enumerable.Range(0, hidden.Length).FirstOrDefault(i => hidden[i] && quoted[i], -1);

        // The part a fragment belongs to; without flags, the first fragment is the new text and the others the quote.
        string? PartOf(int fragment)
        {
            if (hidden is null)
                return fragment == 0 ? parts.VisibleText : parts.QuotedText;
            // A quote between answers is shown by email_reply_parser (not hidden) but kept out of the visible text here.
            if (!hidden[fragment])
                return quoted![fragment] ? parts.QuotedText : parts.VisibleText;
            if (quoted![fragment])
                return parts.QuotedText;
            if (signature![fragment])
                return firstHiddenQuote >= 0 && fragment > firstHiddenQuote ? parts.QuotedText + "\n" + parts.Signature : parts.Signature;
            return null;
        }

        if (spec.TryGetProperty("regex", out var patterns))
        {
            foreach (var fragment in patterns.EnumerateObject())
            {
                var part = PartOf(int.Parse(fragment.Name, System.Globalization.CultureInfo.InvariantCulture));
                Assert.NotNull(part);
                foreach (var pattern in fragment.Value.EnumerateArray())
                    Assert.Matches(new Regex(pattern.GetString()!, RegexOptions.Multiline, TimeSpan.FromSeconds(5)), part);
            }
        }

        if (spec.TryGetProperty("text_exact", out var texts))
        {
            foreach (var fragment in texts.EnumerateObject())
            {
                var text = fragment.Value.GetString()!.Trim();
                var index = int.Parse(fragment.Name, System.Globalization.CultureInfo.InvariantCulture);
                if (text.Length == 0)
                    continue;
                var part = PartOf(index);
                Assert.NotNull(part);
                // email_reply_parser's fragments drop trailing blanks; the parts keep the lines as written.
                if (hidden is not null && !hidden[index] && hidden.Count(h => !h) == 1)
                    Assert.Equal(TrimLines(text), TrimLines(part)); // the only visible fragment is the whole visible text
                else
                    Assert.Contains(TrimLines(text), TrimLines(part), StringComparison.Ordinal);
            }
        }

        if (spec.TryGetProperty("count", out var count) && count.GetInt32() == 1)
        {
            Assert.Null(parts.QuotedText);
            Assert.Null(parts.Signature);
        }

        if (hidden is not null && !hidden.Contains(true))
        {
            Assert.Null(parts.QuotedText);
        }
    }

    [Theory]
    [MemberData(nameof(TalonPlainCases))]
    public void Extract_TalonStandardReply_TextWithoutQuoteMatches(string name)
    {
        var expected = TalonExpected.GetProperty("standard_replies_plain").GetProperty(name).GetString()!;
        using var message = MimeMessage.Load(Path.Combine(TalonRoot, "fixtures", "standard_replies", name));

        var parts = ReplyExtractor.Extract(message.TextBody, message.HtmlBody);

        Assert.NotNull(parts);
        Assert.Equal(TrimLines(expected), TrimLines(WithoutQuote(parts)));
        Assert.NotNull(parts.QuotedText);
    }

    // The same replies through their HTML bodies (outlook.eml's HTML part says something else than its text part).
    [Theory]
    [InlineData("android.eml")]
    [InlineData("aol.eml")]
    [InlineData("comcast.eml")]
    [InlineData("gmail.eml")]
    [InlineData("hotmail.eml")]
    [InlineData("sparrow.eml")]
    public void Extract_TalonStandardReplyHtmlBody_TextWithoutQuoteMatches(string name)
    {
        var expected = TalonExpected.GetProperty("standard_replies_plain").GetProperty(name).GetString()!;
        using var message = MimeMessage.Load(Path.Combine(TalonRoot, "fixtures", "standard_replies", name));

        var parts = ReplyExtractor.Extract(null, message.HtmlBody);

        Assert.NotNull(parts);
        Assert.Equal(WithoutWhiteSpace(expected), WithoutWhiteSpace(WithoutQuote(parts)));
        Assert.NotNull(parts.QuotedText);
    }

    [Theory]
    [MemberData(nameof(TalonHtmlCases))]
    public void Extract_TalonHtmlReply_TextWithoutQuoteMatches(string name)
    {
        var expected = TalonExpected.GetProperty("html_replies").GetProperty(name).GetString()!;
        var html = File.ReadAllText(Path.Combine(TalonRoot, "fixtures", "html_replies", name));

        var parts = ReplyExtractor.Extract(null, html);

        Assert.NotNull(parts);
        Assert.Equal(WithoutWhiteSpace(expected), WithoutWhiteSpace(WithoutQuote(parts)));
        Assert.Contains("How are you?", parts.QuotedText, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TalonSignatureCases))]
    public void Extract_TalonSignatureCase_SignatureAndTextMatch(string name)
    {
        var spec = TalonExpected.GetProperty("signature_stripped").GetProperty(name);
        var folder = Path.Combine(TalonRoot, "fixtures", "signature", "emails", "stripped");
        var body = File.ReadAllText(Path.Combine(folder, spec.GetProperty("body").GetString()!)).Trim();
        var expectedSignature = File.ReadAllText(Path.Combine(folder, spec.GetProperty("expected_signature_file").GetString()!)).Trim();

        var parts = ReplyExtractor.Extract(body, null);

        Assert.NotNull(parts);
        Assert.Equal(expectedSignature.Length == 0 ? null : expectedSignature, parts.Signature);
        Assert.Equal(body[..^expectedSignature.Length].Trim(), parts.VisibleText);
        Assert.Null(parts.QuotedText);
    }

    /// <summary>
    /// The C# and PHP ports of email_reply_parser: their assertions on the first fragment (the reply above the first
    /// quote or signature) and on the visible text, both compared with <see cref="ReplyParts.VisibleText"/>.
    /// </summary>
    [Theory]
    [MemberData(nameof(PortCases))]
    public void Extract_EmailReplyParserPortCase_VisibleTextMatches(string corpus, int index, string split)
    {
        var (text, expected, knownFailure) = PortCase(corpus, index);

        var parts = ReplyExtractor.Extract(text, null);

        Assert.NotNull(parts);
        AssertMatchesOrStillFails(expected, parts.VisibleText, knownFailure, $"{corpus} #{index} ({split})");
    }

    internal static (string Text, string Expected, string? KnownFailure) PortCase(string corpus, int index)
    {
        var spec = Load(Path.Combine(Root, corpus, "expected.json")).GetProperty("cases")[index];
        var text = File.ReadAllText(Path.Combine(Root, corpus, spec.GetProperty("file").GetString()!));
        if (spec.TryGetProperty("replace", out var replace))
        {
            foreach (var pair in replace.EnumerateObject())
                text = text.Replace(pair.Name, pair.Value.GetString(), StringComparison.Ordinal);
        }

        return (text, spec.GetProperty("expected").GetString()!.Trim().ReplaceLineEndings("\n"), KnownFailure(spec));
    }

    [Fact]
    public void Extract_EmailReplyParserPathological_FindsReplyAndQuote()
    {
        var parts = ExtractPlainFile(Path.Combine(ParserRoot, "pathological.txt"));

        Assert.Equal("I think you're onto something. I will try to fix the problem as soon as I\nget back to a computer.", parts.VisibleText);
        Assert.StartsWith("On Dec 8, 2013 2:10 PM, \"John Sullivan\" <notifications@github.com> wrote:", parts.QuotedText, StringComparison.Ordinal);
        Assert.EndsWith("> query_alignment: GCGAAAGCAGGTCAAATATATTCAATATGGAGAGAATAAAAGAATTAAG\n>", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_EmailReplyParserLongQuote_KeepsATightQuoteMarkLineAsTextAndFindsSignature()
    {
        // Its one very long line of '>' sits between two lines of text: text, not a quote.
        var parts = ExtractPlainFile(Path.Combine(ParserRoot, "email_long_quote.txt"));

        Assert.StartsWith("Hi folks", parts.VisibleText, StringComparison.Ordinal);
        Assert.EndsWith(">>>\nI am currently using the Java HTTP API.", parts.VisibleText, StringComparison.Ordinal);
        Assert.Null(parts.QuotedText);
        Assert.StartsWith("-Abhishek Kona", parts.Signature, StringComparison.Ordinal);
        Assert.EndsWith("riak-users_lists.basho.com", parts.Signature, StringComparison.Ordinal);
    }

    internal static ReplyParts ExtractPlainFile(string path)
    {
        var parts = ReplyExtractor.Extract(File.ReadAllText(path), null);
        Assert.NotNull(parts);
        return parts;
    }

    private static string WithoutQuote(ReplyParts parts) =>
        parts.Signature is null ? parts.VisibleText : parts.VisibleText + "\n\n" + parts.Signature;

    private static string TrimLines(string text) =>
        string.Join('\n', text.Trim().ReplaceLineEndings("\n").Split('\n').Select(line => line.TrimEnd()));

    private static string WithoutWhiteSpace(string text) => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));

    private static bool[]? Flags(JsonElement spec, string name) =>
        spec.TryGetProperty(name, out var flags) ? flags.EnumerateArray().Select(f => f.GetBoolean()).ToArray() : null;

    private static TheoryData<string> Names(JsonElement expected, string section)
    {
        var data = new TheoryData<string>();
        foreach (var entry in expected.GetProperty(section).EnumerateObject())
            data.Add(entry.Name);
        return data;
    }

    private static JsonElement Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }
}
