using Mailing.Toolkit;
using Mailing.Toolkit.Sending.Internal;
using Mailing.Toolkit.Telemetry;
using Mailing.Toolkit.Testing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the in-memory sender for tests.</summary>
public static class MailingBuilderTestingExtensions
{
    /// <summary>
    /// Makes the default <see cref="IMailSender"/> record messages in the <see cref="InMemoryOutbox"/> singleton
    /// instead of sending them. Call it before (or instead of) other senders: the first default sender wins.
    /// </summary>
    public static IMailingBuilder AddInMemorySender(this IMailingBuilder builder) => AddInMemory(builder, null);

    /// <summary>Adds a keyed in-memory sender; its messages go to the same <see cref="InMemoryOutbox"/>, tagged with <paramref name="name"/>.</summary>
    public static IMailingBuilder AddInMemorySender(this IMailingBuilder builder, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return AddInMemory(builder, name);
    }

    private static IMailingBuilder AddInMemory(IMailingBuilder builder, string? name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<InMemoryOutbox>();
        return MailingBuilderSendingExtensions.AddSender(builder, name, sp => new InMemoryMailSender(
            name,
            sp.GetRequiredService<InMemoryOutbox>(),
            sp.GetRequiredService<OutgoingMailPipeline>(),
            sp.GetRequiredService<SendingTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<InMemoryMailSender>>()));
    }
}
