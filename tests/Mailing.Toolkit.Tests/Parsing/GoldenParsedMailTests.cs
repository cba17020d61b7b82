using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Parsing.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Parsing;

/// <summary>
/// Golden files: the whole <see cref="ParsedMail"/> of chosen corpus messages, as <see cref="ParsedMailJson"/> writes
/// it (the format of <c>mailing parse</c>), kept in TestData/Golden/&lt;message path&gt;.json. A change to any field of
/// any of them fails here with the first differing JSON path, and the new output lands beside the golden file as
/// &lt;name&gt;.actual.json (git-ignored) to diff. <c>MAILING_UPDATE_GOLDEN=1</c> rewrites the golden files instead;
/// the diff is then reviewed like code (docs/testing.md, "Golden files").
/// </summary>
public sealed class GoldenParsedMailTests
{
    private const string UpdateVariable = "MAILING_UPDATE_GOLDEN";

    /// <summary>
    /// The messages, relative to TestData. Each covers a kind of mail the parser must take apart; the comment says
    /// which. All but mime/own (the project's own) are corpus files copied with their licence (TestData/*/LICENSE).
    /// </summary>
    private static readonly string[] Messages =
    [
        // Plain, HTML, alternative, related, attachments, inline images, encoded words (nodemailer, SpamScope).
        "mime/nodemailer/nodemailer.eml",        // alternative + related inline image, 4 attachments, UTF-8 encoded words
        "mime/nodemailer/mixed.eml",             // mixed: alternative body and a second text/plain part
        "mime/nodemailer/nested.eml",            // mixed > related > alternative, then a nested alternative
        "mime/nodemailer/base64encodedroot.eml", // a base64-encoded single-part root
        "mime/nodemailer/decoderended.eml",      // a forward with an attachment and an HTML part
        "mime/spamscope/mail_test_3",            // alternative + an iso-8859-1 text/plain attachment
        "mime/spamscope/mail_test_5",            // French encoded-word subject, related images, several attachments
        "mime/spamscope/mail_test_6",            // Russian HTML newsletter with images
        "mime/spamscope/mail_test_7",            // Outlook forward: inline images, att*.htm parts, a PDF, a quote
        "mime/spamscope/mail_test_9",            // HTML-only, GB2312 body and encoded-word subject
        "mime/spamscope/mail_test_10",           // Lotus Notes: mixed > related > alternative, ISO-8859-1, GIFs, a PDF
        "mime/spamscope/mail_test_12",           // plain GB2312 body, GB2312 encoded-word subject
        "mime/spamscope/mail_test_14",           // mixed whose first part is HTML, an unnamed PNG, a text part
        "mime/spamscope/mail_test_15",           // format=flowed ISO-8859-1, a ZIP attachment
        "mime/spamscope/mail_test_17",           // UTF-8 base64 encoded-word subject, alternative inside mixed
        // TNEF: no corpus has a winmail.dat outside a returned message, so these two are the project's own (made as
        // TnefSample makes one; X-Comment says so): one holding two files, one cut off after 40 bytes.
        "mime/own/tnef-winmail.eml",
        "mime/own/tnef-truncated.eml",
        // Malformed input.
        "mime/spamscope/mail_malformed_1",       // broken boundaries
        "mime/spamscope/mail_malformed_3",       // a header block with no usable body
        "mime/spamscope/mail_outlook_1",         // an Outlook .msg file, not MIME at all
        // Replies with quotes and signatures (talon).
        "reply/talon/fixtures/standard_replies/gmail.eml",
        "reply/talon/fixtures/standard_replies/outlook.eml",
        "reply/talon/fixtures/standard_replies/iphone.eml",   // "Sent from my iPhone" signature
        "reply/talon/fixtures/standard_replies/sparrow.eml",
        "reply/talon/fixtures/standard_replies/yahoo.eml",
        "reply/talon/fixtures/reply-quotations-share-block.eml",
        // Automatic replies (RFC 3834).
        "autoreply/rfc3834-01.eml",
        "autoreply/rfc3834-02.eml",
        "autoreply/rfc3834-03.eml",
        // Bounces of several MTAs and providers (sisimai).
        "bounces/lhost-postfix-01.eml",
        "bounces/lhost-exim-01.eml",
        "bounces/lhost-sendmail-01.eml",
        "bounces/lhost-qmail-01.eml",
        "bounces/lhost-exchange2007-04.eml",     // ISO-2022-JP encoded-word subject with cut-off base64, HTML and text bodies
        "bounces/lhost-office365-04.eml",        // ISO-2022-JP encoded words, multipart/report with alternative
        "bounces/lhost-amazonworkmail-01.eml",   // iso-8859-15 subject, the returned message carries a winmail.dat (TNEF)
        "bounces/lhost-amazonses-10.eml",        // an SNS JSON notification, not a DSN
        "bounces/lhost-gmail-01.eml",
        "bounces/lhost-opensmtpd-13.eml",        // delayed, not failed
        "bounces/lhost-outlook-04.eml",          // two recipients
        "bounces/lhost-kddi-01.eml",             // Japanese text
        "bounces/lhost-apachejames-01.eml",
        "bounces/not-bounces/is-not-bounce-01.eml",
        // ARF feedback reports.
        "bounces/arf-01.eml",
        "bounces/arf-25.eml",
    ];

    /// <summary>
    /// The test project's source folder when the tests run from its bin/ (found by walking up to the .csproj), so
    /// golden files are read from and written to the files git tracks, never a stale copy; else the output folder,
    /// which holds a copy of TestData (read-only use, e.g. tests run from a published folder).
    /// </summary>
    private static readonly string? SourceRoot = FindProjectDirectory();

    private static readonly string TestData = Path.Combine(SourceRoot ?? AppContext.BaseDirectory, "TestData");

    private static readonly string GoldenRoot = Path.Combine(TestData, "Golden");

    public static TheoryData<string> Files() => new(Messages);

    /// <summary>
    /// Loads Mailing.Toolkit's module (whose initializer registers the code-page charsets) before any test touches
    /// MimeKit, as an application does that parses with the toolkit: MimeKit settles its charsets at its first lookup,
    /// so a test that used MimeKit first would otherwise make the GB2312 and ISO-2022-JP headers of the golden messages
    /// decode as Latin-1, depending on test order.
    /// </summary>
#pragma warning disable CA2255 // A module initializer in a test assembly, to fix the process state before any test.
    [ModuleInitializer]
    internal static void LoadTheToolkitFirst() => RuntimeHelpers.RunModuleConstructor(typeof(MailParser).Module.ModuleHandle);
#pragma warning restore CA2255

    [Theory]
    [MemberData(nameof(Files))]
    public async Task ParseAsync_CorpusMessage_MatchesItsGoldenJson(string message)
    {
        var actual = await ParseToJsonAsync(message);
        var goldenPath = GoldenPath(message);
        var actualPath = Path.ChangeExtension(goldenPath, ".actual.json");

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Assert.True(SourceRoot is not null, $"{UpdateVariable}=1 rewrites the golden files in the source tree, which was not found above {AppContext.BaseDirectory}.");
            Directory.CreateDirectory(Path.GetDirectoryName(goldenPath)!);
            await File.WriteAllTextAsync(goldenPath, actual);
            File.Delete(actualPath);
            return;
        }

        Assert.True(File.Exists(goldenPath), $"{message} has no golden file {goldenPath}. Run the tests with {UpdateVariable}=1 to write it, then review it.");
        var expected = (await File.ReadAllTextAsync(goldenPath)).ReplaceLineEndings("\n");
        var difference = FirstDifference(expected, actual);
        if (difference is null)
        {
            File.Delete(actualPath);
            return;
        }

        await File.WriteAllTextAsync(actualPath, actual);
        Assert.Fail($"""
            {message}: the parse result differs from its golden file.
            {difference}
            Golden: {goldenPath}
            Actual: {actualPath}
            If the change is intended, review the diff and rerun with {UpdateVariable}=1 (docs/testing.md, "Golden files").
            """);
    }

    [Fact]
    public void GoldenFolder_EveryGoldenFile_BelongsToAListedMessage()
    {
        var listed = Messages.Select(GoldenPath).ToHashSet(StringComparer.Ordinal);

        var orphans = Directory.EnumerateFiles(GoldenRoot, "*.json", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".actual.json", StringComparison.Ordinal) && !listed.Contains(f))
            .Select(f => Path.GetRelativePath(GoldenRoot, f))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(orphans.Count == 0, $"Golden files whose message is no longer in {nameof(GoldenParsedMailTests)}.{nameof(Messages)}: {string.Join(", ", orphans)}. Delete them or list the message again.");
    }

    [Fact]
    public void FirstDifference_ChangedNestedValue_NamesItsPathAndBothValues()
    {
        var difference = FirstDifference(
            """{"a":1,"bounce":{"recipients":[{"status":"5.1.1","replyCode":550}]}}""",
            """{"a":1,"bounce":{"recipients":[{"status":"5.0.0","replyCode":550}]}}""");

        Assert.Equal("At $.bounce.recipients[0].status: expected \"5.1.1\", actual \"5.0.0\".", difference);
    }

    [Theory]
    [InlineData("""{"a":1}""", """{"a":1,"b":2}""", "At $.b: expected (missing), actual 2.")]
    [InlineData("""{"a":[1,2]}""", """{"a":[1]}""", "At $.a[1]: expected 2, actual (missing).")]
    [InlineData("""{"a":1,"b":2}""", """{"b":2,"a":1}""", "At $: the same fields in another order: expected a, b, actual b, a.")]
    [InlineData("""{"a":"x<"}""", """{"a":"x\u003C"}""", "The values are equal but the JSON text differs (escaping or layout of ParsedMailJson) at line 1: expected {\"a\":\"x<\"}, actual {\"a\":\"x\\u003C\"}.")]
    [InlineData("""{"a":true}""", """{"a":true}""", null)]
    public void FirstDifference_Cases_DescribeTheFirstOne(string expected, string actual, string? description) =>
        Assert.Equal(description, FirstDifference(expected, actual));

    [Fact]
    public void FirstDifference_LongStrings_ShowsTheSurroundingsOfTheFirstDifferentCharacter()
    {
        var before = new string('a', 500);

        var difference = FirstDifference($$"""{"textBody":"{{before}}X tail"}""", $$"""{"textBody":"{{before}}Y tail"}""");

        Assert.Equal($"At $.textBody: strings differ at character 500 (lengths 506 and 506): expected …\"{new string('a', 40)}X tail\", actual …\"{new string('a', 40)}Y tail\".", difference);
    }

    /// <summary>Parses with the parser <c>AddMailing().AddMailParser()</c> registers (default options, as <c>mailing parse</c>).</summary>
    private static async Task<string> ParseToJsonAsync(string message)
    {
        var services = new ServiceCollection();
        services.AddMailing().AddMailParser();
        await using var provider = services.BuildServiceProvider();
        var parser = provider.GetRequiredService<IMailParser>();

        await using var stream = File.OpenRead(Path.Combine(TestData, message));
        var mail = await parser.ParseAsync(stream);
        // No value is normalized: the result depends on the input bytes only (no clock, culture or random boundary).
        // Only the line breaks between JSON lines (the writer uses Environment.NewLine; line breaks inside values are
        // escaped as \n) are made LF, as in the golden files.
        return ParsedMailJson.Serialize(mail, indented: true).ReplaceLineEndings("\n") + "\n";
    }

    private static string GoldenPath(string message) =>
        Path.Combine(GoldenRoot, Path.ChangeExtension(message, null) + ".json");

    private static string? FindProjectDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mailing.Toolkit.Tests.csproj")))
                return directory.FullName;
        }
        return null;
    }

    /// <summary>
    /// Null when both texts are the same JSON; otherwise the first difference: its JSON path and both values, or,
    /// when every value is equal, the first line where the text differs (the serializer's escaping or layout changed).
    /// </summary>
    private static string? FirstDifference(string expected, string actual)
    {
        using var expectedJson = JsonDocument.Parse(expected);
        using var actualJson = JsonDocument.Parse(actual);
        if (FirstDifference(expectedJson.RootElement, actualJson.RootElement, "$") is { } difference)
            return difference;
        if (expected == actual)
            return null;

        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var line = 0;
        while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line])
            line++;
        return $"The values are equal but the JSON text differs (escaping or layout of ParsedMailJson) at line {line + 1}: " +
            $"expected {Line(expectedLines, line)}, actual {Line(actualLines, line)}.";

        static string Line(string[] lines, int index) => index < lines.Length ? Shorten(lines[index].Trim()) : "(end of file)";
    }

    private static string? FirstDifference(JsonElement expected, JsonElement actual, string path)
    {
        if (expected.ValueKind != actual.ValueKind)
            return $"At {path}: expected {Show(expected)}, actual {Show(actual)}.";

        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var expectedFields = expected.EnumerateObject().ToList();
                var actualFields = actual.EnumerateObject().ToList();
                foreach (var field in expectedFields)
                {
                    var fieldPath = Child(path, field.Name);
                    if (!actual.TryGetProperty(field.Name, out var actualValue))
                        return $"At {fieldPath}: expected {Show(field.Value)}, actual (missing).";
                    if (FirstDifference(field.Value, actualValue, fieldPath) is { } difference)
                        return difference;
                }
                var added = actualFields.FindIndex(f => !expected.TryGetProperty(f.Name, out _));
                if (added >= 0)
                    return $"At {Child(path, actualFields[added].Name)}: expected (missing), actual {Show(actualFields[added].Value)}.";
                var expectedOrder = expectedFields.Select(f => f.Name).ToList();
                var actualOrder = actualFields.Select(f => f.Name).ToList();
                return expectedOrder.SequenceEqual(actualOrder, StringComparer.Ordinal)
                    ? null
                    : $"At {path}: the same fields in another order: expected {string.Join(", ", expectedOrder)}, actual {string.Join(", ", actualOrder)}.";

            case JsonValueKind.Array:
                var expectedItems = expected.EnumerateArray().ToList();
                var actualItems = actual.EnumerateArray().ToList();
                for (var i = 0; i < Math.Max(expectedItems.Count, actualItems.Count); i++)
                {
                    var itemPath = $"{path}[{i}]";
                    if (i >= actualItems.Count)
                        return $"At {itemPath}: expected {Show(expectedItems[i])}, actual (missing).";
                    if (i >= expectedItems.Count)
                        return $"At {itemPath}: expected (missing), actual {Show(actualItems[i])}.";
                    if (FirstDifference(expectedItems[i], actualItems[i], itemPath) is { } difference)
                        return difference;
                }
                return null;

            case JsonValueKind.String:
                return StringDifference(expected.GetString()!, actual.GetString()!, path);

            case JsonValueKind.Number:
                return expected.GetRawText() == actual.GetRawText() ? null : $"At {path}: expected {expected.GetRawText()}, actual {actual.GetRawText()}.";

            default: // true, false, null: the kind is the value
                return null;
        }
    }

    private static string? StringDifference(string expected, string actual, string path)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal))
            return null;
        if (expected.Length <= 80 && actual.Length <= 80)
            return $"At {path}: expected {Quote(expected)}, actual {Quote(actual)}.";

        var index = 0;
        while (index < expected.Length && index < actual.Length && expected[index] == actual[index])
            index++;
        return $"At {path}: strings differ at character {index} (lengths {expected.Length} and {actual.Length}): " +
            $"expected {Around(expected, index)}, actual {Around(actual, index)}.";

        static string Around(string value, int index)
        {
            var start = Math.Max(0, index - 40);
            var length = Math.Min(value.Length - start, 80);
            return (start > 0 ? "…" : "") + Quote(value.Substring(start, length)) + (start + length < value.Length ? "…" : "");
        }
    }

    private static string Child(string path, string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? $"{path}.{name}" : $"{path}[{Quote(name)}]";

    private static string Show(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? Quote(Shorten(value.GetString()!)) : Shorten(value.GetRawText());

    private static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => @"\\",
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                < ' ' => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }

    private static string Shorten(string value) => value.Length <= 200 ? value : value[..200] + $"… ({value.Length} characters)";
}
