using Mailing.Toolkit.Tests.Parsing;

namespace Mailing.Toolkit.Tests.AutoResponding;

/// <summary>
/// Real bounces, feedback reports and vacation replies (TestData/bounces, TestData/autoreply; sisimai's set-of-emails,
/// licence beside them), parsed by the real parser and offered to a responder whose rule answers everything:
/// none of them gets a reply, whatever the rule says.
/// </summary>
public sealed class AutoResponderCorpusTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "TestData");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "bounces", "autoreply" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, folder), "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                // not-bounces/ holds ordinary mail, which may be answered.
                if (!file.Contains($"{Path.DirectorySeparatorChar}not-bounces{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                    data.Add(Path.GetRelativePath(Root, file));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task RespondAsync_BounceOrAutomaticReply_IsNeverAnswered(string file)
    {
        await using var host = AutoReplyTestHost.AnswerAll();
        await using var stream = File.OpenRead(Path.Combine(Root, file));
        var mail = await ParserFactory.Create().ParseAsync(stream);

        var response = await host.Responder.RespondAsync(mail, AutoReplyTestHost.Support);

        Assert.False(response.Replied, $"{file} was answered");
        Assert.Empty(host.Outbox.Messages);
    }
}
