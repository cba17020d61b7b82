using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Receiving.Pipeline;

/// <summary>The opt-in de-duplication of the inbound pipeline, on a real Maildir receiver with the in-memory store.</summary>
public sealed class InboundDeduplicationTests : IDisposable
{
    private readonly InboundHarness harness = new();

    [Fact]
    public async Task RunPassAsync_TwoCopiesWithOneMessageId_HandledOnceAndBothAcknowledged()
    {
        harness.Deliver(InboundHarness.Message(subject: "copy", id: "same-1"));
        harness.Deliver(InboundHarness.Message(subject: "copy", id: "same-1"));
        harness.Deliver(InboundHarness.Message(subject: "other", id: "other-1"));
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>(), o => { o.Deduplicate = true; o.MaxParallelism = 1; });

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(["copy", "other"], harness.Log.Calls.Select(c => c.Subject).Order());
        Assert.Equal(3, result.Handled);
        Assert.Empty(harness.Files("new"));
    }

    [Fact]
    public async Task RunPassAsync_DeduplicationOff_EveryCopyIsHandled()
    {
        harness.Deliver(InboundHarness.Message(subject: "copy", id: "same-2"));
        harness.Deliver(InboundHarness.Message(subject: "copy", id: "same-2"));
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>());

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(2, harness.Log.Calls.Count);
    }

    [Fact]
    public async Task RunPassAsync_NoMessageId_IdenticalBytesAreOneMessage_DifferentBytesAreTwo()
    {
        const string Raw = "From: a@example.org\r\nTo: someone@example.test\r\nSubject: {0}\r\n\r\nbody\r\n";
        harness.Deliver(string.Format(System.Globalization.CultureInfo.InvariantCulture, Raw, "no id"));
        harness.Deliver(string.Format(System.Globalization.CultureInfo.InvariantCulture, Raw, "no id"));
        harness.Deliver(string.Format(System.Globalization.CultureInfo.InvariantCulture, Raw, "no id either"));
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>(), o => { o.Deduplicate = true; o.MaxParallelism = 1; });

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(["no id", "no id either"], harness.Log.Calls.Select(c => c.Subject).Order());
    }

    [Fact]
    public async Task RunPassAsync_FirstCopyFailsIntoQuarantine_TheKeyIsGivenBackAndALaterCopyIsHandled()
    {
        harness.Deliver(InboundHarness.Message(subject: "please fail", id: "same-3"));
        await using var provider = harness.Build(p => p.Default().Handle<FailingHandler>(), o => { o.Deduplicate = true; o.MaxAttempts = 1; });
        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();
        Assert.Single(harness.Log.Calls);

        var store = provider.GetRequiredService<IInboundDeduplicationStore>();
        Assert.Equal(DeduplicationResult.Begun, await store.TryBeginAsync("default", "mid:same-3@example.org", harness.Time.GetUtcNow(), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task RunPassAsync_CopyWhileAnotherInstanceHandlesIt_IsLeftForALaterPass()
    {
        harness.Deliver(InboundHarness.Message(subject: "busy", id: "same-4"));
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>(), o => o.Deduplicate = true);
        var store = provider.GetRequiredService<IInboundDeduplicationStore>();
        Assert.Equal(DeduplicationResult.Begun, await store.TryBeginAsync("default", "mid:same-4@example.org", harness.Time.GetUtcNow(), TimeSpan.FromMinutes(10)));

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(1, result.Deferred);
        Assert.Empty(harness.Log.Calls);
        Assert.Single(harness.Files("new"));
    }

    public void Dispose() => harness.Dispose();
}
