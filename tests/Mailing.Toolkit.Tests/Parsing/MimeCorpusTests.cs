using Mailing.Toolkit.Parsing;

namespace Mailing.Toolkit.Tests.Parsing;

/// <summary>
/// The malformed and heavy messages of TestData/mime (SpamScope mail-parser and nodemailer mailparser test
/// fixtures, licences beside them): every one parses with the default limits, without an exception.
/// </summary>
public sealed class MimeCorpusTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "TestData", "mime");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith("LICENSE", StringComparison.Ordinal) && name != "SOURCE_COMMIT.txt")
                data.Add(Path.GetRelativePath(Root, file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task ParseAsync_CorpusFile_ParsesWithinTheDefaultLimits(string file)
    {
        await using var stream = File.OpenRead(Path.Combine(Root, file));

        var mail = await ParserFactory.Create().ParseAsync(stream);

        foreach (var attachment in mail.Attachments)
            Assert.Equal(64, attachment.Sha256.Length);
        Assert.NotNull(ParsedMailJson.Serialize(mail));
    }
}
