namespace Mailing.Toolkit.Tests.Abstractions;

public sealed class EmailAddressTests
{
    [Fact]
    public void Parse_QuotedLocalPartContainingAt_BelongsToTheDomainAfterTheLastAt()
    {
        var address = EmailAddress.Parse("\"a@evil x\"@internal.test");

        Assert.Equal("internal.test", address.Domain);
        Assert.Equal("a@evil x", address.LocalPart);
    }

    [Theory]
    [InlineData("Alice <alice@example.com>", "Alice", "alice@example.com")]
    [InlineData("\"Smith, Alice\" <alice@example.com>", "Smith, Alice", "alice@example.com")]
    [InlineData("=?utf-8?q?Zo=C3=AB?= <zoe@example.com>", "Zoë", "zoe@example.com")]
    [InlineData("bob@example.com", null, "bob@example.com")]
    public void Parse_Rfc5322Forms_ExtractNameAndAddress(string text, string? name, string address)
    {
        var parsed = EmailAddress.Parse(text);

        Assert.Equal(name, parsed.Name);
        Assert.Equal(address, parsed.Address);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("alice@")]
    [InlineData("a@b.test, c@d.test")]
    [InlineData("<>")]
    public void Parse_NotASingleMailbox_ThrowsNamingTheInput(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => EmailAddress.Parse(text));

        Assert.Contains("not a valid email address", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice@example.com\r\nBcc: evil@example.com")]
    [InlineData("alice@example.com\n")]
    [InlineData("alice@example.com\0")]
    [InlineData("alice@example.com>\r\nRCPT TO:<evil@example.com")]
    public void Parse_LineBreakOrNul_IsRejected(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => EmailAddress.Parse(text));

        Assert.Contains("CR, LF or NUL", ex.Message, StringComparison.Ordinal);
        Assert.False(EmailAddress.TryParse(text, out _));
    }

    [Fact]
    public void Constructor_DisplayNameWithLineBreak_IsRejectedNamingTheField()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EmailAddress("alice@example.com", "Alice\r\nBcc: evil@example.com"));

        Assert.StartsWith("Display name contains a CR, LF or NUL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equals_IgnoresCaseAndDisplayName()
    {
        Assert.Equal(EmailAddress.Parse("Alice <ALICE@Example.com>"), EmailAddress.Parse("alice@example.com"));
    }
}
