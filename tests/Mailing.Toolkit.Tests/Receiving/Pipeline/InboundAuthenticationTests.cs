using System.Text;
using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Testing;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Mailing.Toolkit.Tests.Receiving.Pipeline;

/// <summary>The inbound pipeline with <c>Authenticate</c> on: results reach handlers, routes and the auto-responder.</summary>
public sealed class InboundAuthenticationTests : IDisposable
{
    private static readonly Lazy<(RsaPrivateCrtKeyParameters Key, string Record)> BankKey = new(CreateKey);
    private readonly InboundHarness harness = new();

    public void Dispose() => harness.Dispose();

    [Fact]
    public async Task RunPassAsync_SignedAndForgedMail_ForgedIsFiledAwayAndTheGenuineOneHandledWithResults()
    {
        harness.Deliver(Signed("Genuine"));
        harness.Deliver(InboundHarness.Message(to: "support@shop.example", subject: "Forged", from: "Bank <alerts@bank.example>"));
        await using var provider = Build(p =>
        {
            p.Route("forged").WithAuthentication(a => a.Dmarc.Disposition == DmarcPolicy.Reject).MoveTo("Junk");
            p.Route("support").ToRecipient("support@*").Handle<AuthenticationRecorder>();
        });

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(2, result.Handled);
        var seen = provider.GetRequiredService<AuthenticationLog>().Seen;
        var (subject, authentication) = Assert.Single(seen);
        Assert.Equal("Genuine", subject);
        Assert.NotNull(authentication);
        Assert.Equal(AuthenticationStatus.Pass, Assert.Single(authentication.Dkim).Status);
        Assert.Equal(AuthenticationStatus.Pass, authentication.Dmarc.Status);
        Assert.True(authentication.Dmarc.DkimAligned);
        Assert.Single(harness.Files(".Junk/cur"));
    }

    [Fact]
    public async Task AutoRespond_ForgedSender_GetsNoReplyButTheGenuineOneDoes()
    {
        harness.Deliver(Signed("Genuine"));
        harness.Deliver(InboundHarness.Message(to: "support@shop.example", subject: "Forged", from: "Bank <alerts@bank.example>"));
        await using var provider = Build(
            p => p.Route("support").ToRecipient("support@*").AutoRespond(),
            m => m.AddInMemorySender().AddAutoResponder(o => o.Rules.Add(new AutoReplyRule { Name = "ack", Recipients = { "support@*" }, Text = "Got it: {Subject}" })));

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        var reply = Assert.Single(provider.GetRequiredService<InMemoryOutbox>().Messages);
        Assert.Contains("Got it: Genuine", reply.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RespondAsync_UnauthenticatedContext_IsSuppressedWithTheReason()
    {
        await using var provider = Build(p => p.Default().MarkSeen(), m => m.AddInMemorySender().AddAutoResponder(o => o.Rules.Add(new AutoReplyRule { Name = "ack", Text = "Got it" })));
        var responder = provider.GetRequiredService<IAutoResponder>();
        var parser = provider.GetRequiredService<Mailing.Toolkit.Parsing.IMailParser>();
        var mail = await parser.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(InboundHarness.Message(from: "alerts@bank.example"))));
        var failed = new MailAuthenticationResults
        {
            AuthServId = "mx.test",
            Spf = new SpfCheckResult(AuthenticationStatus.Fail, "mailfrom", "bank.example"),
            Arc = new ArcChainResult(AuthenticationStatus.None, 0),
            Dmarc = new DmarcResult(AuthenticationStatus.None, "bank.example"),
        };

        var response = await responder.RespondAsync(mail, new AutoReplyContext(Authentication: failed));
        var spam = await responder.RespondAsync(mail, new AutoReplyContext(IsSpam: true));

        Assert.False(response.Replied);
        Assert.Equal(AutoReplySuppression.Unauthenticated, response.Suppression);
        Assert.Equal("SPF fail without a DKIM pass", response.Reason);
        Assert.Equal(AutoReplySuppression.Spam, spam.Suppression);
        Assert.Empty(provider.GetRequiredService<InMemoryOutbox>().Messages);
    }

    [Fact]
    public async Task RunPassAsync_ClassifySpam_SpamIsFiledAwayAndNeverAnsweredHamIsHandled()
    {
        harness.Deliver(InboundHarness.Message(to: "support@shop.example", subject: "Cheap pills", from: "x@spammer.example"));
        harness.Deliver(InboundHarness.Message(to: "support@shop.example", subject: "Order 42", from: "bob@customer.example"));
        await using var provider = harness.Build(
            p =>
            {
                p.Route("spam").WithSpamVerdict(v => v.IsSpam).MoveTo("Junk");
                p.Route("support").ToRecipient("support@*").Handle<AuthenticationRecorder>().AutoRespond();
            },
            o => o.ClassifySpam = true,
            m =>
            {
                m.Services.AddSingleton<ISpamClassifier>(new SubjectClassifier("pills"));
                m.Services.AddSingleton<AuthenticationLog>();
                m.AddInMemorySender().AddAutoResponder(o => o.Rules.Add(new AutoReplyRule { Name = "ack", Recipients = { "support@*" }, Text = "Got it" }));
            });

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(2, result.Handled);
        Assert.Single(harness.Files(".Junk/cur"));
        Assert.Equal("Order 42", Assert.Single(provider.GetRequiredService<AuthenticationLog>().Seen).Subject);
        Assert.True(Assert.Single(provider.GetRequiredService<InMemoryOutbox>().Messages).WasSentTo("bob@customer.example"));
    }

    [Fact]
    public async Task RunPassAsync_AuthenticateAndClassify_ClassifierGetsTheTrustedHopsFactsAndOnlyTheNewestDeliveredTo()
    {
        var raw = "Delivered-To: support@shop.example\r\n" +
            "Received: from relay.sender.example (relay.sender.example [192.0.2.25]) by mx.shop.example (Postfix); Sun, 01 Mar 2026 07:00:01 +0000\r\n" +
            "Delivered-To: ceo@shop.example\r\n" +
            InboundHarness.Message(to: "support@shop.example", subject: "Order 7", from: "bob@customer.example");
        harness.Deliver(raw);
        var contexts = new List<SpamCheckContext?>();
        await using var provider = harness.Build(
            p => p.Default().MarkSeen(),
            o =>
            {
                o.Authenticate = true;
                o.ClassifySpam = true;
            },
            m =>
            {
                m.Services.AddSingleton<IDnsResolver>(new InMemoryDnsZone());
                m.Services.AddSingleton<ISpamClassifier>(new RecordingClassifier(contexts));
                m.AddMailAuthentication(o =>
                {
                    o.AuthServId = "mx.shop.example";
                    o.TrustedReceivers.Add("mx.shop.example");
                });
            });

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        var context = Assert.Single(contexts);
        Assert.Equal(System.Net.IPAddress.Parse("192.0.2.25"), context?.Connection?.ClientAddress);
        Assert.Equal("relay.sender.example", context?.Connection?.HeloName);
        Assert.Equal(["support@shop.example"], context?.Recipients);
    }

    [Fact]
    public void Build_ClassifySpamWithoutClassifier_FailsAtStart()
    {
        using var provider = harness.Build(p => p.Default().MarkSeen(), o => o.ClassifySpam = true, validateOnBuild: false);

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IInboundMailProcessor>());

        Assert.Contains("AddRspamd()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithAuthenticationRouteButAuthenticateOff_FailsAtStartNamingTheKey()
    {
        using var provider = harness.Build(p => p.Route("forged").WithAuthentication(_ => true).MoveTo("Junk"), validateOnBuild: false);

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IInboundMailProcessor>());

        Assert.Contains("Mailing:Inbound:Authenticate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_AuthenticateWithoutAuthenticator_FailsAtStart()
    {
        using var provider = harness.Build(p => p.Default().MarkSeen(), o => o.Authenticate = true, validateOnBuild: false);

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IInboundMailProcessor>());

        Assert.Contains("AddMailAuthentication()", error.Message, StringComparison.Ordinal);
    }

    private ServiceProvider Build(Action<InboundProcessingBuilder> routes, Action<IMailingBuilder>? mailing = null) =>
        harness.Build(routes, o => o.Authenticate = true, m =>
        {
            var zone = new InMemoryDnsZone()
                .Add("sel._domainkey.bank.example", DnsRecordType.Txt, BankKey.Value.Record)
                .Add("_dmarc.bank.example", DnsRecordType.Txt, "v=DMARC1; p=reject");
            m.Services.AddSingleton<IDnsResolver>(zone);
            m.Services.AddSingleton<AuthenticationLog>();
            m.AddMailAuthentication(o => o.AuthServId = "mx.shop.example");
            mailing?.Invoke(m);
        });

    private static string Signed(string subject)
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(InboundHarness.Message(to: "support@shop.example", subject: subject, from: "Bank <alerts@bank.example>"))));
        var signer = new DkimSigner(BankKey.Value.Key, "bank.example", "sel") { BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed, HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed };
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        using var stream = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        message.WriteTo(format, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static (RsaPrivateCrtKeyParameters, string) CreateKey()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new Org.BouncyCastle.Crypto.KeyGenerationParameters(new SecureRandom(), 2048));
        var pair = generator.GenerateKeyPair();
        var publicKey = Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo((RsaKeyParameters)pair.Public).GetDerEncoded());
        return ((RsaPrivateCrtKeyParameters)pair.Private, "v=DKIM1; k=rsa; p=" + publicKey);
    }

    /// <summary>Calls a message spam when its subject contains a word: the seam for the pipeline, not a classifier under test.</summary>
    private sealed class SubjectClassifier(string word) : ISpamClassifier
    {
        public ValueTask<SpamVerdict> ClassifyAsync(MimeMessage message, SpamCheckContext? context = null, CancellationToken cancellationToken = default)
        {
            var spam = message.Subject?.Contains(word, StringComparison.Ordinal) == true;
            return ValueTask.FromResult(new SpamVerdict
            {
                Classifier = "test",
                Score = spam ? 20 : 0,
                Threshold = 5,
                Action = spam ? SpamAction.Reject : SpamAction.NoAction,
                IsSpam = spam,
            });
        }
    }

    private sealed class RecordingClassifier(List<SpamCheckContext?> contexts) : ISpamClassifier
    {
        public ValueTask<SpamVerdict> ClassifyAsync(MimeMessage message, SpamCheckContext? context = null, CancellationToken cancellationToken = default)
        {
            contexts.Add(context);
            return ValueTask.FromResult(new SpamVerdict { Classifier = "test", Score = 0, Threshold = 5, Action = SpamAction.NoAction, IsSpam = false });
        }
    }

    internal sealed class AuthenticationLog
    {
        public List<(string? Subject, MailAuthenticationResults? Authentication)> Seen { get; } = [];
    }

    internal sealed class AuthenticationRecorder(AuthenticationLog log) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            lock (log.Seen)
                log.Seen.Add((mail.Mail.Subject, mail.Authentication));
            return Task.CompletedTask;
        }
    }
}
