using Mailing.Toolkit;
using Mailing.Toolkit.Testing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the in-memory sender for tests.</summary>
public static class MailingBuilderTestingExtensions
{
    /// <summary>
    /// Makes the default <see cref="IMailSender"/> record messages in the <see cref="InMemoryOutbox"/> singleton
    /// instead of sending them. It replaces a default sender registered before (for example by the application's
    /// own <c>AddSmtpSender()</c>, when a test host adds it afterwards); that sender's options are still validated.
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
        if (name is null)
        {
            foreach (var existing in builder.Services.Where(d => d.ServiceType == typeof(IMailSender) && !d.IsKeyedService).ToArray())
                builder.Services.Remove(existing);
        }

        // The public extension point any transport uses; no access to the core's internals.
        return name is null ? builder.AddTransport<InMemoryMailTransport>() : builder.AddTransport<InMemoryMailTransport>(name);
    }
}
