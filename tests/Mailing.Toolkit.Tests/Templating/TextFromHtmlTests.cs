namespace Mailing.Toolkit.Tests.Templating;

public sealed class TextFromHtmlTests
{
    [Fact]
    public async Task RenderAsync_WelcomeWithoutTextTemplate_TextMatchesTheExpectedFile()
    {
        using var renderer = TemplateTestData.Renderer();

        var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.PolishPoland);

        Assert.Equal(TemplateTestData.Expected("welcome.pl-PL.txt"), mail.TextBody);
    }
}
