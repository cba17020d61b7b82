using Mailing.Toolkit.Mailboxes;
using Mailing.Toolkit.Mailboxes.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Mailboxes;

public sealed class AccountRulesTests
{
    [Theory]
    [InlineData("Support@Example.COM", "support@example.com")]
    [InlineData("first.last+tag@mail.example.co.uk", "first.last+tag@mail.example.co.uk")]
    public void Address_Plain_IsAcceptedInLowerCase(string input, string expected)
    {
        Assert.Equal(expected, AccountRules.Address(input));
    }

    [Theory]
    [InlineData("a\r\nb@example.com")]
    [InlineData("\"quoted\"@example.com")]
    [InlineData("a b@example.com")]
    [InlineData("../x@example.com")]
    [InlineData("a/b@example.com")]
    [InlineData("a%b@example.com")]
    [InlineData(".a@example.com")]
    [InlineData("a..b@example.com")]
    [InlineData("a@localhost")]
    [InlineData("a@-example.com")]
    public void Address_Unsafe_IsRefused(string input)
    {
        Assert.Throws<ArgumentException>(() => AccountRules.Address(input));
    }

    [Fact]
    public void Address_Over254Characters_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => AccountRules.Address(new string('a', 64) + "@" + string.Join('.', Enumerable.Repeat(new string('b', 60), 4)) + ".com"));
    }

    [Fact]
    public void Password_Policy_EachRuleNamedAndTheLimitsHit()
    {
        var policy = new MailPasswordPolicy();

        AccountRules.Password("Twelve-chars", "bob@example.com", policy);
        Assert.Contains("MinLength", Assert.Throws<ArgumentException>(() => AccountRules.Password("Eleven-char", "bob@example.com", policy)).Message);
        Assert.Contains("MaxLength", Assert.Throws<ArgumentException>(() => AccountRules.Password("Aa1-" + new string('x', 253), "bob@example.com", policy)).Message);
        Assert.Contains("MinCharacterClasses", Assert.Throws<ArgumentException>(() => AccountRules.Password("onlylowercaseletters", "bob@example.com", policy)).Message);
        Assert.Contains("RejectLocalPart", Assert.Throws<ArgumentException>(() => AccountRules.Password("Alice-2026-secret", "alice@example.com", policy)).Message);
        Assert.Contains("control character", Assert.Throws<ArgumentException>(() => AccountRules.Password("Line\nBreak-2026", "bob@example.com", policy)).Message);
    }

    [Fact]
    public void Quota_BelowOneMebibyteOrAboveTheMaximum_IsRefused()
    {
        Assert.Null(AccountRules.Quota(null, 1L << 40));
        Assert.Equal(1024 * 1024, AccountRules.Quota(1024 * 1024, 1L << 40));
        Assert.Throws<ArgumentOutOfRangeException>(() => AccountRules.Quota(1024 * 1024 - 1, 1L << 40));
        Assert.Throws<ArgumentOutOfRangeException>(() => AccountRules.Quota((1L << 40) + 1, 1L << 40));
        Assert.Throws<ArgumentOutOfRangeException>(() => AccountRules.Quota(-5, 1L << 40));
    }

    [Fact]
    public void Options_MissingOrUnsafe_FailAtStartNamingTheKeys()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddDovecotAccounts(o =>
        {
            o.Table = "users; DROP TABLE x";
            o.DoveadmUrl = new Uri("http://mail.example.com:8080/doveadm/v1");
            o.PasswordHashRounds = 10;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DovecotAccountOptions>>().Value);

        Assert.Contains("Mailing:Accounts:ConnectionFactory is required", error.Message);
        Assert.Contains("Mailing:Accounts:Table must be", error.Message);
        Assert.Contains("Mailing:Accounts:DoveadmUrl must use https", error.Message);
        Assert.Contains("Mailing:Accounts:DoveadmApiKey is required", error.Message);
        Assert.Contains("Mailing:Accounts:PasswordHashRounds must be", error.Message);
    }
}
