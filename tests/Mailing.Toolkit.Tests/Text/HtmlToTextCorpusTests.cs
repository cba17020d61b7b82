using Mailing.Toolkit.Text;

namespace Mailing.Toolkit.Tests.Text;

/// <summary>
/// Differential test over real mail HTML (TestData/html-to-text/corpus, each source folder with its licence):
/// NAME.txt (defaults) and NAME.wrap72.txt (wrapped at 72, no link URLs) were written by the converter as it was
/// on MimeKit's HtmlTokenizer, so a change of tokenizer or converter that changes any output shows here.
/// </summary>
public sealed class HtmlToTextCorpusTests
{
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "TestData", "html-to-text", "corpus");

    private static readonly HtmlToTextOptions Wrapped = new() { WrapColumn = 72, IncludeLinkUrls = false };

    public static TheoryData<string> Files() => new(Names());

    [Fact]
    public void Corpus_HasFilesFromEverySource()
    {
        var names = Names().ToList();

        Assert.True(names.Count >= 30, $"{names.Count} files");
        Assert.All(new[] { "talon/", "spamscope/", "nodemailer/", "own/" }, folder => Assert.Contains(names, name => name.StartsWith(folder, StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Convert_CorpusFile_MatchesTheRecordedText(string name)
    {
        var html = File.ReadAllText(InputOf(name));

        Assert.Equal(ReadExpected(name + ".txt"), HtmlToText.Convert(html));
        Assert.Equal(ReadExpected(name + ".wrap72.txt"), HtmlToText.Convert(html, Wrapped));
    }

    // Each case is the expected NAME.txt (and NAME.wrap72.txt) beside its input NAME.html; talon's HTML files are
    // not copied twice: their input is the reply corpus's file of the same name (in fixtures/ or fixtures/html_replies/).
    private static readonly string TalonFixtures = Path.Combine(AppContext.BaseDirectory, "TestData", "reply", "talon", "fixtures");

    private static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(CorpusDirectory, "*.wrap72.txt", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(CorpusDirectory, path[..^".wrap72.txt".Length]).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    private static string InputOf(string name)
    {
        var local = Path.Combine(CorpusDirectory, name + ".html");
        if (File.Exists(local) || !name.StartsWith("talon/", StringComparison.Ordinal))
            return local;
        var file = name["talon/".Length..] + ".html";
        var direct = Path.Combine(TalonFixtures, file);
        return File.Exists(direct) ? direct : Path.Combine(TalonFixtures, "html_replies", file);
    }

    private static string ReadExpected(string file) =>
        File.ReadAllText(Path.Combine(CorpusDirectory, file)).Replace("\r\n", "\n", StringComparison.Ordinal);
}
