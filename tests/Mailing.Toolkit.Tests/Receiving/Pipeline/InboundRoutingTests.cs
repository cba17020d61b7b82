using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Receiving.Pipeline;

public sealed class InboundRoutingTests : IDisposable
{
    private readonly InboundHarness harness = new();

    public void Dispose() => harness.Dispose();

    [Fact]
    public async Task RunPassAsync_RecipientPatterns_FirstMatchingRouteWins()
    {
        harness.Deliver(InboundHarness.Message(to: "Support <support@shop.example>", subject: "to support"));
        harness.Deliver(InboundHarness.Message(to: "sales@shop.example", subject: "to sales"));
        await using var provider = harness.Build(p =>
        {
            p.Route("support").ToRecipient("support@*").Handle<RecordingHandler>();
            p.Route("shop").ToRecipient("*@shop.example").Handle<RecordingHandler>();
        });

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(new InboundPassResult(2, 2, 0, 0, 0), result);
        Assert.Equal(["support"], harness.Log.RoutesOf("to support"));
        Assert.Equal(["shop"], harness.Log.RoutesOf("to sales"));
        Assert.Equal("support@shop.example", harness.Log.Calls.Single(c => c.Subject == "to support").Recipient);
    }

    [Fact]
    public async Task RunPassAsync_PlusTagInCc_MatchesTagRoute()
    {
        harness.Deliver(InboundHarness.Message(to: "someone@example.test", subject: "invoice", extraHeaders: "Cc: shop+billing@shop.example\r\n"));
        harness.Deliver(InboundHarness.Message(to: "shop+other@shop.example", subject: "other tag"));
        await using var provider = harness.Build(p =>
        {
            p.Route("billing").ToRecipient("+billing").Handle<RecordingHandler>();
            p.Default().Handle<RecordingHandler>();
        });

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(["billing"], harness.Log.RoutesOf("invoice"));
        Assert.Equal("shop+billing@shop.example", harness.Log.Calls.Single(c => c.Subject == "invoice").Recipient);
        Assert.Equal(["default"], harness.Log.RoutesOf("other tag"));
    }

    [Fact]
    public async Task RunPassAsync_EnvelopeDeliveredTo_MatchesTaggedFormOfUntaggedPattern()
    {
        // A Bcc copy: the envelope recipient is only in Delivered-To.
        harness.Deliver(InboundHarness.Message(to: "list@example.test", subject: "bcc copy", extraHeaders: "Delivered-To: support+urgent@shop.example\r\n"));
        await using var provider = harness.Build(p => p.Route("support").ToRecipient("support@shop.example").Handle<RecordingHandler>());

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        var call = Assert.Single(harness.Log.Calls);
        Assert.Equal(("support", "support+urgent@shop.example"), (call.Route, call.Recipient));
    }

    [Fact]
    public async Task RunPassAsync_SubjectHeaderAndDefault_RoutedInOrder()
    {
        harness.Deliver(InboundHarness.Message(subject: "[Ticket #42] printer"));
        harness.Deliver(InboundHarness.Message(subject: "invoice attached", extraHeaders: "X-Kind: Invoice-2026\r\n"));
        harness.Deliver(InboundHarness.Message(subject: "anything else"));
        await using var provider = harness.Build(p =>
        {
            p.Route("tickets").WithSubject(@"^\[ticket #\d+\]").Handle<RecordingHandler>();
            p.Route("invoices").WithHeader("x-kind", "^invoice-").Handle<RecordingHandler>();
            p.Default().Handle<RecordingHandler>();
        });

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(["tickets"], harness.Log.RoutesOf("[Ticket #42] printer"));
        Assert.Equal(["invoices"], harness.Log.RoutesOf("invoice attached"));
        Assert.Equal(["default"], harness.Log.RoutesOf("anything else"));
    }

    [Fact]
    public async Task RunPassAsync_ConditionsOfOneRoute_MustAllHold()
    {
        harness.Deliver(InboundHarness.Message(to: "support@shop.example", subject: "no header"));
        await using var provider = harness.Build(p =>
        {
            p.Route("strict").ToRecipient("support@*").WithHeader("X-Priority").Handle<RecordingHandler>();
            p.Default().Handle<RecordingHandler>();
        });

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(["default"], harness.Log.RoutesOf("no header"));
    }

    [Fact]
    public async Task RunPassAsync_NoRouteMatchesAndNoDefault_UnroutedMarkedSeen()
    {
        var name = harness.Deliver(InboundHarness.Message(to: "nobody@example.test", subject: "lost"));
        await using var provider = harness.Build(p => p.Route("support").ToRecipient("support@*").Handle<RecordingHandler>());

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(new InboundPassResult(1, 0, 1, 0, 0), result);
        Assert.Empty(harness.Log.Calls);
        Assert.Equal([name + ":2,S"], harness.Files("cur"));
    }

    [Fact]
    public async Task RunPassAsync_UnroutedFolder_MovesUnroutedThere()
    {
        var name = harness.Deliver(InboundHarness.Message(to: "nobody@example.test"));
        await using var provider = harness.Build(p => p.Route("support").ToRecipient("support@*").Handle<RecordingHandler>(), o => o.UnroutedFolder = "Unrouted");

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal([name + ":2,"], harness.Files(".Unrouted/cur"));
    }

    [Fact]
    public async Task RunPassAsync_DispositionPerRoute_SeenMovedDeleted()
    {
        var seen = harness.Deliver(InboundHarness.Message(subject: "seen"));
        var moved = harness.Deliver(InboundHarness.Message(subject: "archive"));
        harness.Deliver(InboundHarness.Message(subject: "delete"));
        await using var provider = harness.Build(p =>
        {
            p.Route("archive").WithSubject("^archive$").MoveTo("Archive/2026").Handle<RecordingHandler>();
            p.Route("delete").WithSubject("^delete$").Delete().Handle<RecordingHandler>();
            p.Default().Handle<RecordingHandler>();
        });

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Empty(harness.Files("new"));
        Assert.Equal([seen + ":2,S"], harness.Files("cur"));
        Assert.Equal([moved + ":2,"], harness.Files(".Archive.2026/cur"));
        Assert.Equal(3, harness.Log.Calls.Count);
    }

    [Fact]
    public async Task RunPassAsync_DefaultDispositionOption_AppliesToRoutesWithout()
    {
        var name = harness.Deliver(InboundHarness.Message());
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>(), o => o.DefaultDisposition = "Done");

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal([name + ":2,"], harness.Files(".Done/cur"));
    }

    [Fact]
    public async Task RunPassAsync_ScopedService_NewScopePerMessage()
    {
        harness.Deliver(InboundHarness.Message(subject: "one"));
        harness.Deliver(InboundHarness.Message(subject: "two"));
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>().Handle<RecordingHandler>());

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        var calls = harness.Log.Calls.ToArray();
        Assert.Equal(4, calls.Length);
        // Both handlers of one message share its scope; the two messages have different scopes.
        Assert.Single(calls.Where(c => c.Subject == "one").Select(c => c.Scope).Distinct());
        Assert.Single(calls.Where(c => c.Subject == "two").Select(c => c.Scope).Distinct());
        Assert.NotEqual(calls.First(c => c.Subject == "one").Scope, calls.First(c => c.Subject == "two").Scope);
    }

    [Fact]
    public void AddInboundProcessing_RouteWithoutHandler_FailsAtStart()
    {
        using var provider = harness.Build(p => p.Route("empty").ToRecipient("x@*"));

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IInboundMailProcessor>());

        Assert.Contains("'empty' has no handler", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithSubject_InvalidRegex_ThrowsAtRegistration()
    {
        Assert.ThrowsAny<ArgumentException>(() => harness.Build(p => p.Route("bad").WithSubject("([unclosed").Handle<RecordingHandler>()));
    }

    [Fact]
    public void Route_DuplicateName_Throws()
    {
        Assert.Throws<ArgumentException>(() => harness.Build(p =>
        {
            p.Route("a").Handle<RecordingHandler>();
            p.Route("A").Handle<RecordingHandler>();
        }));
    }
}
