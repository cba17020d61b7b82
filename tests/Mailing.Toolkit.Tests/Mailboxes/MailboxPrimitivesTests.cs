using System.Text;
using MailKit;
using MailKit.Search;
using MailKit.Security;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Mailboxes;
using Mailing.Toolkit.Mailboxes.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Tests.Mailboxes;

public sealed class MailboxPrimitivesTests
{
    [Theory]
    [InlineData(SecureSocketOptions.Auto, 0, 143, SecureSocketOptions.StartTls)]
    [InlineData(SecureSocketOptions.Auto, 993, 993, SecureSocketOptions.SslOnConnect)]
    [InlineData(SecureSocketOptions.Auto, 1143, 1143, SecureSocketOptions.StartTls)]
    [InlineData(SecureSocketOptions.SslOnConnect, 0, 993, SecureSocketOptions.SslOnConnect)]
    [InlineData(SecureSocketOptions.StartTlsWhenAvailable, 0, 143, SecureSocketOptions.StartTlsWhenAvailable)]
    public void ImapOptions_Auto_IsSslOnConnectOn993AndRequiredStartTlsElsewhere(SecureSocketOptions security, int port, int effectivePort, SecureSocketOptions effective)
    {
        var options = new ImapOptions { Security = security, Port = port };

        Assert.Equal((effectivePort, effective), (options.EffectivePort, options.EffectiveSecurity));
    }

    [Theory]
    [InlineData("INBOX")]
    [InlineData("Projects/2026/Q1")]
    [InlineData("Zażółć/Łódź")]
    [InlineData("日本語")]
    [InlineData("With space & \"quotes\"")]
    public void Check_ValidName_IsReturned(string name) => Assert.Equal(name, FolderNames.Check(name, nameof(name)));

    [Theory]
    [InlineData("a\r\nA1 CREATE Evil")]
    [InlineData("a\nb")]
    [InlineData("a\rb")]
    [InlineData("a\0b")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("a//b")]
    [InlineData("/a")]
    [InlineData("a/")]
    [InlineData("Arch*")]
    [InlineData("50%")]
    public void Check_UnsafeOrEmptyName_ThrowsNamingTheParameter(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => FolderNames.Check(name, "destination"));

        Assert.Equal("destination", ex.ParamName);
    }

    [Theory]
    [InlineData("A", "A", true)]
    [InlineData("A/B", "A", true)]
    [InlineData("AB", "A", false)]
    [InlineData("A", "A/B", false)]
    public void IsWithin_PathAndAncestor_MatchesWholeLevelsOnly(string path, string ancestor, bool expected) =>
        Assert.Equal(expected, FolderNames.IsWithin(path, ancestor));

    [Fact]
    public void Translate_EveryKindOfCondition_BuildsTheMatchingMailKitQuery()
    {
        var query = MailSearch.From("a@x").And(MailSearch.To("b@y")).And(MailSearch.Cc("c@z")).And(MailSearch.Subject("s"))
            .And(MailSearch.Header("X-Ticket", "42")).And(MailSearch.Body("b")).And(MailSearch.Contains("t"))
            .And(MailSearch.Unseen).And(MailSearch.WithFlags(MailFlags.Flagged | MailFlags.Answered))
            .And(MailSearch.Since(new DateOnly(2026, 1, 2))).And(MailSearch.Before(new DateOnly(2026, 2, 3)))
            .Or(MailSearch.All.Not());

        var translated = SearchTranslator.Translate(query);

        var terms = Flatten(translated).ToList();
        Assert.Equal(SearchTerm.Or, translated.Term);
        Assert.Contains(terms, t => t is TextSearchQuery { Term: SearchTerm.FromContains, Text: "a@x" });
        Assert.Contains(terms, t => t is TextSearchQuery { Term: SearchTerm.ToContains, Text: "b@y" });
        Assert.Contains(terms, t => t is TextSearchQuery { Term: SearchTerm.CcContains, Text: "c@z" });
        Assert.Contains(terms, t => t is TextSearchQuery { Term: SearchTerm.SubjectContains, Text: "s" });
        Assert.Contains(terms, t => t is HeaderSearchQuery { Field: "X-Ticket", Value: "42" });
        Assert.Contains(terms, t => t is TextSearchQuery { Term: SearchTerm.BodyContains, Text: "b" });
        Assert.Contains(terms, t => t is TextSearchQuery { Term: SearchTerm.MessageContains, Text: "t" });
        Assert.Contains(terms, t => t.Term == SearchTerm.NotSeen);
        Assert.Contains(terms, t => t.Term == SearchTerm.Flagged);
        Assert.Contains(terms, t => t.Term == SearchTerm.Answered);
        Assert.Contains(terms, t => t is DateSearchQuery { Term: SearchTerm.DeliveredAfter } d && d.Date == new DateTime(2026, 1, 2));
        Assert.Contains(terms, t => t is DateSearchQuery { Term: SearchTerm.DeliveredBefore } d && d.Date == new DateTime(2026, 2, 3));
        Assert.Contains(terms, t => t is UnarySearchQuery { Term: SearchTerm.Not, Operand.Term: SearchTerm.All });
    }

    [Theory]
    [MemberData(nameof(UnsafeSearches))]
    public void Translate_UnsafeValueBuiltWithoutTheFactories_Throws(MailSearch search)
    {
        var ex = Assert.Throws<ArgumentException>(() => SearchTranslator.Translate(search));

        Assert.Equal("query", ex.ParamName);
    }

    public static TheoryData<MailSearch> UnsafeSearches() => new()
    {
        new MailSearch.HeaderSearch("Subject", "x\r\nA1 CREATE Evil"),
        new MailSearch.HeaderSearch("X-A\r\nA1 CREATE Evil", "v"),
        new MailSearch.HeaderSearch("Bad Name", "v"),
        new MailSearch.HeaderSearch("Colon:", "v"),
        new MailSearch.BodySearch("x\0y", false),
        MailSearch.Unseen.And(new MailSearch.BodySearch("x", true) with { Text = "\n" }),
        new MailSearch.NotSearch(null!),
    };

    [Fact]
    public void Factories_ValueWithLineBreak_Throw()
    {
        Assert.Throws<ArgumentException>(() => MailSearch.Subject("a\r\nb"));
        Assert.Throws<ArgumentException>(() => MailSearch.Contains("a\0"));
        Assert.Throws<ArgumentException>(() => MailSearch.Header("X\n", "v"));
    }

    [Fact]
    public void WireLogger_TraceOn_MasksSecretsAndLiteralContent()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        using var wire = new ImapWireLogger(factory.CreateLogger("Mailing.Toolkit.Imap.ImapProtocol"))
        {
            AuthenticationSecretDetector = new SecretAt("A1 AUTHENTICATE PLAIN ".Length, "AGFsaWNlAHNlY3JldA==".Length),
        };

        Send(wire.LogClient, "A1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n");
        wire.AuthenticationSecretDetector = null;
        Send(wire.LogClient, "A2 APPEND INBOX {20+}\r\nSubject: top secret");
        Send(wire.LogClient, "\r\n");
        Send(wire.LogServer, "* 1 FETCH (BODY[] {11}\r\nhello world)\r\nA3 OK done\r\n");

        var text = string.Join("\n", logs.Entries.Select(e => e.Message));
        Assert.Contains("A1 AUTHENTICATE PLAIN ********************", text, StringComparison.Ordinal);
        Assert.DoesNotContain("AGFsaWNl", text, StringComparison.Ordinal);
        Assert.Contains("A2 APPEND INBOX {20+}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("top secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hello world", text, StringComparison.Ordinal);
        Assert.Contains("<literal: 11 bytes>)", text, StringComparison.Ordinal);
        Assert.Contains("A3 OK done", text, StringComparison.Ordinal);
    }

    private static void Send(Action<byte[], int, int> log, string text)
    {
        var bytes = Encoding.UTF8.GetBytes("pad" + text);
        log(bytes, 3, bytes.Length - 3);
    }

    private static IEnumerable<SearchQuery> Flatten(SearchQuery query) => query switch
    {
        BinarySearchQuery binary => Flatten(binary.Left).Concat(Flatten(binary.Right)).Prepend(binary),
        UnarySearchQuery unary when unary.Term != SearchTerm.Not => Flatten(unary.Operand).Prepend(unary),
        _ => [query],
    };

    /// <summary>Marks one span of every client buffer as a secret, as MailKit's detector does during AUTHENTICATE.</summary>
    private sealed class SecretAt(int start, int length) : IAuthenticationSecretDetector
    {
        public IList<AuthenticationSecret> DetectSecrets(byte[] buffer, int offset, int count) => [new AuthenticationSecret(offset + start, length)];
    }
}
