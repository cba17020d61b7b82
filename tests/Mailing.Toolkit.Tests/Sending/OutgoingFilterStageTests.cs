using Mailing.Toolkit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Sending;

/// <summary>Filters run by <see cref="IOutgoingMailFilter.Stage"/>, then in registration order, whatever order they were added in.</summary>
public sealed class OutgoingFilterStageTests
{
    [Fact]
    public async Task SendAsync_FiltersOfSeveralStages_RunByStageThenRegistrationOrder()
    {
        var order = new List<string>();
        var services = new ServiceCollection();
        services.AddSingleton(order);
        services.AddMailing(o => o.DefaultFrom = "app@example.test")
            .AddInMemorySender()
            .AddOutgoingFilter<SignatureFilter>()
            .AddOutgoingFilter<EncryptionFilter>()
            .AddOutgoingFilter<ContentFilterA>()
            .AddOutgoingFilter<BetweenFilter>()
            .AddOutgoingFilter<ContentFilterB>();
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IMailSender>().SendAsync(new MailMessage { To = { "bob@example.test" }, Subject = "s", TextBody = "b" });

        Assert.Equal(["content-a", "content-b", "encryption", "between", "signature"], order);
    }

    [Fact]
    public void Stage_FilterThatDoesNotSayOtherwise_IsContent()
    {
        IOutgoingMailFilter filter = new ContentFilterA([]);

        Assert.Equal(OutgoingMailFilterStage.Content, filter.Stage);
    }

    private sealed class SignatureFilter(List<string> order) : IOutgoingMailFilter
    {
        public OutgoingMailFilterStage Stage => OutgoingMailFilterStage.Signature;

        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken) => Record(order, "signature");
    }

    private sealed class EncryptionFilter(List<string> order) : IOutgoingMailFilter
    {
        public OutgoingMailFilterStage Stage => OutgoingMailFilterStage.Encryption;

        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken) => Record(order, "encryption");
    }

    private sealed class BetweenFilter(List<string> order) : IOutgoingMailFilter
    {
        public OutgoingMailFilterStage Stage => (OutgoingMailFilterStage)150;

        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken) => Record(order, "between");
    }

    private sealed class ContentFilterA(List<string> order) : IOutgoingMailFilter
    {
        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken) => Record(order, "content-a");
    }

    private sealed class ContentFilterB(List<string> order) : IOutgoingMailFilter
    {
        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken) => Record(order, "content-b");
    }

    private static ValueTask Record(List<string> order, string name)
    {
        order.Add(name);
        return ValueTask.CompletedTask;
    }
}
