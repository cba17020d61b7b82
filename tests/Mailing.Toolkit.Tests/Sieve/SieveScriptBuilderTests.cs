using Mailing.Toolkit.Sieve;

namespace Mailing.Toolkit.Tests.Sieve;

public sealed class SieveScriptBuilderTests
{
    [Fact]
    public void Build_RuleWithFileIntoCreateAndFlags_WritesRequireAndBlock()
    {
        var script = new SieveScriptBuilder()
            .Add(new SieveRule("invoices", SieveTest.Header("Subject", SieveMatch.Contains, "invoice"), SieveAction.FileInto("Billing", create: true), SieveAction.AddFlags("$Invoice"), SieveAction.Stop()))
            .Build();

        Assert.Equal(
            "require [\"fileinto\", \"imap4flags\", \"mailbox\"];\r\n" +
            "# Rule: invoices\r\n" +
            "if header :contains \"Subject\" \"invoice\"\r\n" +
            "{\r\n" +
            "    fileinto :create \"Billing\";\r\n" +
            "    addflag \"$Invoice\";\r\n" +
            "    stop;\r\n" +
            "}\r\n",
            script);
    }

    [Fact]
    public void Build_KeepOnly_HasNoRequireLine()
    {
        Assert.Equal("# Rule: rule\r\nkeep;\r\n", new SieveScriptBuilder().Add(null, SieveAction.Keep()).Build());
    }

    [Fact]
    public void Build_QuotesAndBackslashesInUserText_AreEscapedSoTheStringCannotEnd()
    {
        var script = new SieveScriptBuilder()
            .Add(null, SieveAction.Reject("say \"no\"; stop; \\ end"))
            .Build();

        Assert.Contains("reject \"say \\\"no\\\"; stop; \\\\ end\";", script);
    }

    [Theory]
    [InlineData("line\r\nbreak")]
    [InlineData("line\nbreak")]
    [InlineData("nul\0")]
    public void OneLineValues_WithALineBreakOrNul_AreRefused(string value)
    {
        Assert.Throws<ArgumentException>(() => SieveTest.Header("Subject", SieveMatch.Is, value));
        Assert.Throws<ArgumentException>(() => SieveAction.FileInto(value));
        Assert.Throws<ArgumentException>(() => SieveAction.AddFlags(value));
        Assert.Throws<ArgumentException>(() => new SieveScriptBuilder().Vacation(new VacationReply { Body = "Away.", Subject = value }).Build());
        Assert.Throws<ArgumentException>(() => new SieveScriptBuilder().Include(value));
    }

    [Theory]
    [InlineData("Sub ject")]
    [InlineData("Subject:")]
    [InlineData("Betreff-ä")]
    [InlineData("")]
    public void Header_NameThatIsNotAFieldName_IsRefused(string name)
    {
        Assert.Throws<ArgumentException>(() => SieveTest.Header(name, SieveMatch.Is, "x"));
    }

    [Fact]
    public void Vacation_BodyOverSeveralLines_GetsCrlfAndNulIsRefused()
    {
        var script = new SieveScriptBuilder().Vacation(new VacationReply { Body = "one\ntwo\rthree", Days = 3 }).Build();

        Assert.Equal("require [\"vacation\"];\r\n# Vacation reply\r\nvacation :days 3 \"one\r\ntwo\r\nthree\";\r\n", script);
        Assert.Throws<ArgumentException>(() => new SieveScriptBuilder().Vacation(new VacationReply { Body = "a\0b" }).Build());
    }

    [Fact]
    public void Vacation_WithHtml_IsAMultipartAlternativeWithMime()
    {
        var script = new SieveScriptBuilder().Vacation(new VacationReply { Body = "Away.", HtmlBody = "<p>Away.</p>", Interval = TimeSpan.FromHours(1) }).Build();

        Assert.StartsWith("require [\"vacation\", \"vacation-seconds\"];", script);
        Assert.Contains(":seconds 3600 :mime \"Content-Type: multipart/alternative", script);
        Assert.Contains("text/html", script);
    }

    [Fact]
    public void Vacation_OutOfRangeOrConflictingIntervals_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VacationReply { Body = "x", Days = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new VacationReply { Body = "x", Days = 366 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new VacationReply { Body = "x", Interval = TimeSpan.Zero });
        Assert.Throws<ArgumentException>(() => new SieveScriptBuilder().Vacation(new VacationReply { Body = "x", Days = 1, Interval = TimeSpan.FromHours(1) }).Build());
        Assert.Throws<ArgumentException>(() => new SieveScriptBuilder().Vacation(new VacationReply { Body = " " }).Build());
        Assert.Throws<ArgumentException>(() => new SieveScriptBuilder().Vacation(new VacationReply { Body = "x", From = "not an address" }).Build());
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\tname")]
    [InlineData("line\nname")]
    [InlineData("\u2028")]
    public void Rule_InvalidName_IsRefused(string name)
    {
        Assert.Throws<ArgumentException>(() => new SieveRule(name, null, SieveAction.Keep()));
    }

    [Fact]
    public void Rule_NameAtTheLimitIsAcceptedAndOneMoreIsRefused()
    {
        Assert.Equal(100, new SieveRule(new string('r', 100), null, SieveAction.Keep()).Name.Length);
        Assert.Throws<ArgumentException>(() => new SieveRule(new string('r', 101), null, SieveAction.Keep()));
        Assert.Throws<ArgumentException>(() => new SieveRule("empty", null));
    }

    [Theory]
    [InlineData("Assistant <assistant@example.org>")]
    [InlineData("not-an-address")]
    [InlineData("a@example.org, b@example.org")]
    public void Redirect_AnythingButOnePlainAddress_IsRefused(string address)
    {
        Assert.Throws<ArgumentException>(() => SieveAction.Redirect(address));
    }

    [Fact]
    public void Tests_CombinedAndEnvelope_WriteTheirSyntaxAndRequireEnvelope()
    {
        var script = new SieveScriptBuilder()
            .Add(null, SieveAction.Discard())
            .Add(SieveTest.AllOf(SieveTest.Not(SieveTest.SizeOver(100)), SieveTest.Envelope(recipient: true, SieveMatch.Is, ["sales"], SieveAddressPart.LocalPart)), SieveAction.Keep())
            .Build();

        Assert.StartsWith("require [\"envelope\"];", script);
        Assert.Contains("if allof(not size :over 100, envelope :localpart :is \"to\" \"sales\")", script);
        Assert.Throws<ArgumentOutOfRangeException>(() => SieveTest.SizeOver(-1));
        Assert.Throws<ArgumentException>(() => SieveTest.AnyOf());
    }
}
