using Mailing.Toolkit;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers IMAP receivers. The unnamed one takes its account from <c>Mailing:Imap</c> (shared with the mailbox
/// manager) and its settings from <c>Mailing:Imap:Receiver</c>; it becomes the <see cref="IMailReceiver"/> and the
/// <see cref="IMailArrivalNotifier"/>. A keyed one (<c>AddImapReceiver("billing")</c>) has its own account in
/// <c>Mailing:Receivers:{key}</c> and its settings in <c>Mailing:Receivers:{key}:Receiver</c>, and is resolved with
/// <c>[FromKeyedServices("billing")]</c> as <see cref="IMailReceiver"/> and <see cref="IMailArrivalNotifier"/>.
/// </summary>
public static class MailingBuilderImapReceiverExtensions
{
    private const string ImapPath = "Mailing:Imap";

    /// <summary>Adds the IMAP receiver, configured from <c>Mailing:Imap</c> and <c>Mailing:Imap:Receiver</c>.</summary>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder) =>
        AddImap(builder, null, MailingBuilder.Section(builder, "Imap"), null, null, ImapPath);

    /// <summary>Adds the IMAP receiver; <paramref name="configure"/> runs after <c>Mailing:Imap</c> is bound.</summary>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder, Action<ImapOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddImap(builder, null, MailingBuilder.Section(builder, "Imap"), configure, null, ImapPath);
    }

    /// <summary>
    /// Adds the IMAP receiver; <paramref name="configure"/> runs after <c>Mailing:Imap</c> is bound and
    /// <paramref name="configureReceiver"/> after <c>Mailing:Imap:Receiver</c>.
    /// </summary>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder, Action<ImapOptions> configure, Action<ImapReceiverOptions> configureReceiver)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(configureReceiver);
        return AddImap(builder, null, MailingBuilder.Section(builder, "Imap"), configure, configureReceiver, ImapPath);
    }

    /// <summary>Adds the IMAP receiver with the account bound to <paramref name="section"/> and its settings to its <c>Receiver</c> subsection.</summary>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddImap(builder, null, section, null, null, MailingBuilder.PathOf(section, ImapPath));
    }

    /// <summary>
    /// Adds an IMAP receiver under <paramref name="key"/>: a keyed <see cref="IMailReceiver"/> and
    /// <see cref="IMailArrivalNotifier"/> with its own account, bound from <c>Mailing:Receivers:{key}</c> (the keys of
    /// <c>Mailing:Imap</c>), and its own settings, from <c>Mailing:Receivers:{key}:Receiver</c>.
    /// <paramref name="configure"/> and <paramref name="configureReceiver"/> run after those are bound.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty, contains ':', a line break or NUL, or is <c>default</c>.</exception>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder, string key, Action<ImapOptions>? configure = null, Action<ImapReceiverOptions>? configureReceiver = null)
    {
        ReceiverRegistration.CheckKey(key, nameof(key));
        return AddImap(builder, key, MailingBuilder.Section(builder, ReceiverRegistration.SectionKey(key)), configure, configureReceiver, ReceiverRegistration.PathOf(key));
    }

    /// <summary>
    /// Adds an IMAP receiver under <paramref name="key"/>, with its account bound to <paramref name="section"/> and its
    /// settings to its <c>Receiver</c> subsection.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty, contains ':', a line break or NUL, or is <c>default</c>.</exception>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder, string key, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        ReceiverRegistration.CheckKey(key, nameof(key));
        return AddImap(builder, key, section, null, null, MailingBuilder.PathOf(section, ReceiverRegistration.PathOf(key)));
    }

    private static IMailingBuilder AddImap(IMailingBuilder builder, string? key, IConfiguration? section, Action<ImapOptions>? configure, Action<ImapReceiverOptions>? configureReceiver, string path) =>
        ReceiverRegistration.Add<ImapReceiverOptions, ImapMailReceiver>(
            builder, "AddImapReceiver", "imap", key, section?.GetSection("Receiver"), configureReceiver, path + ":Receiver",
            p => new ImapReceiverOptionsValidator(p),
            (sp, settings) =>
            {
                var (store, durable) = MailboxStateFiles.Resolve(sp, settings.StateFilePath);
                return new ImapMailReceiver(
                    ImapOptionsRegistration.Connector(sp, key),
                    ImapOptionsRegistration.AccountOf(sp, key),
                    settings,
                    store,
                    durable,
                    sp.GetRequiredService<TimeProvider>(),
                    sp.LoggerFactory().CreateLogger<ImapMailReceiver>());
            },
            first =>
            {
                // The account: the unnamed one is shared with the mailbox manager, a keyed one is the receiver's own.
                if (key is null)
                    ImapOptionsRegistration.Add(builder.Services, first ? section : null, configure, path);
                else
                    ImapOptionsRegistration.AddKeyed(builder.Services, key, first, section, configure, path);
            });
}
