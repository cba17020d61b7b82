using Mailing.Toolkit.Parsing.Internal;
using Mailing.Toolkit.Text.Internal;

namespace Mailing.Toolkit.Tests.Parsing;

public sealed class SubjectNormalizerTests
{
    [Theory]
    [InlineData("Re: Hello", "Hello")]
    [InlineData("RE: Re: re: Hello", "Hello")]
    [InlineData("Fwd: FW: Fw: Hello", "Hello")]
    [InlineData("AW: WG: Hello", "Hello")]
    [InlineData("SV: VS: VL: Hello", "Hello")]
    [InlineData("Odp: PD: Hello", "Hello")]
    [InlineData("TR: RE : Hello", "Hello")]
    [InlineData("Rif: I: R: Hello", "Hello")]
    [InlineData("RV: Enc: Res: Hello", "Hello")]
    [InlineData("Antw: Doorst: Hello", "Hello")]
    [InlineData("Ответ: Отв: Hello", "Hello")]
    [InlineData("回复：Hello", "Hello")]
    [InlineData("Re[2]: Re(3): Re^4: Hello", "Hello")]
    [InlineData("  Re:Hello  ", "Hello")]
    [InlineData("Re: [dev] Re: Hello", "[dev] Re: Hello")]
    [InlineData("Hello", "Hello")]
    [InlineData("Regarding: the plan", "Regarding: the plan")]
    [InlineData("Meeting: 10:00", "Meeting: 10:00")]
    [InlineData("Re:", "")]
    [InlineData("", "")]
    public void Normalize_Prefixes_AreRemoved(string subject, string expected) =>
        Assert.Equal(expected, SubjectNormalizer.Normalize(subject));

    [Fact]
    public void Normalize_Null_IsNull() => Assert.Null(SubjectNormalizer.Normalize(null));
}
