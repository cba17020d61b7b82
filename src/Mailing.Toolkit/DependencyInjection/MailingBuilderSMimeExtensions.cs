using Mailing.Toolkit;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers S/MIME signing, encryption, verification and decryption.</summary>
public static class MailingBuilderSMimeExtensions
{
    private const string SMimePath = "Mailing:SMime";

    /// <summary>
    /// Adds S/MIME, configured from <c>Mailing:SMime</c> (<see cref="SMimeOptions"/>): outgoing mail is signed and
    /// encrypted by an <see cref="IOutgoingMailFilter"/> of stage <see cref="OutgoingMailFilterStage.Encryption"/> as
    /// the policies say, and <c>IMailParser</c> verifies and decrypts incoming S/MIME, reporting what it found in
    /// <c>ParsedMail.Protection</c>. The certificates and keys are loaded when the host starts; a bad one fails the
    /// start with a message naming its entry.
    /// </summary>
    public static IMailingBuilder AddSMime(this IMailingBuilder builder) =>
        Add(builder, MailingBuilder.Section(builder, "SMime"), null, SMimePath);

    /// <summary>Adds S/MIME; <paramref name="configure"/> runs after <c>Mailing:SMime</c> is bound.</summary>
    public static IMailingBuilder AddSMime(this IMailingBuilder builder, Action<SMimeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Add(builder, MailingBuilder.Section(builder, "SMime"), configure, SMimePath);
    }

    /// <summary>Adds S/MIME, configured from <paramref name="section"/>.</summary>
    public static IMailingBuilder AddSMime(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return Add(builder, section, null, MailingBuilder.PathOf(section, SMimePath));
    }

    private static IMailingBuilder Add(IMailingBuilder builder, IConfiguration? section, Action<SMimeOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<SMimeOptions>();
        var first = !services.Any(d => d.ServiceType == typeof(SMimeKeyStoreHolder));
        if (first && section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        if (!first)
            return builder;

        options.ValidateOnStart();
        services.AddSingleton<SMimeKeyStoreHolder>();
        services.AddSingleton<IValidateOptions<SMimeOptions>>(sp =>
            new SMimeOptionsValidator(path, sp.GetRequiredService<SMimeKeyStoreHolder>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IOutgoingMailFilter>(sp =>
        {
            var monitor = sp.GetRequiredService<IOptions<SMimeOptions>>();
            var store = sp.GetRequiredService<SMimeKeyStoreHolder>().Get(monitor);
            var logger = sp.LoggerFactory().CreateLogger<SMimeFilter>();
            SMimeLog.Loaded(logger, store.Identities.Count, store.Recipients.Count, store.Anchors.Count);
            return new SMimeFilter(store, monitor.Value, sp.GetRequiredService<TimeProvider>(), logger);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IContentUnprotector, SMimeUnprotector>(sp =>
        {
            var monitor = sp.GetRequiredService<IOptions<SMimeOptions>>();
            return new SMimeUnprotector(
                sp.GetRequiredService<SMimeKeyStoreHolder>().Get(monitor),
                monitor.Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.LoggerFactory().CreateLogger<SMimeUnprotector>());
        }));
        builder.AddMailParser();
        return builder;
    }
}
