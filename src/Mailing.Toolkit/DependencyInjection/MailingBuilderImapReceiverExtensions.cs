using Mailing.Toolkit;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the IMAP receiver: the account from <c>Mailing:Imap</c> (shared with the mailbox manager), the
/// receiver's settings from <c>Mailing:Imap:Receiver</c>. It becomes the <see cref="IMailReceiver"/> and the
/// <see cref="IMailArrivalNotifier"/>.
/// </summary>
public static class MailingBuilderImapReceiverExtensions
{
    private const string ImapPath = "Mailing:Imap";

    /// <summary>Adds the IMAP receiver, configured from <c>Mailing:Imap</c> and <c>Mailing:Imap:Receiver</c>.</summary>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder) =>
        AddImap(builder, MailingBuilder.Section(builder, "Imap"), null, null, ImapPath);

    /// <summary>Adds the IMAP receiver; <paramref name="configure"/> runs after <c>Mailing:Imap</c> is bound.</summary>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder, Action<ImapOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddImap(builder, MailingBuilder.Section(builder, "Imap"), configure, null, ImapPath);
    }

    /// <summary>
    /// Adds the IMAP receiver; <paramref name="configure"/> runs after <c>Mailing:Imap</c> is bound and
    /// <paramref name="configureReceiver"/> after <c>Mailing:Imap:Receiver</c>.
    /// </summary>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder, Action<ImapOptions> configure, Action<ImapReceiverOptions> configureReceiver)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(configureReceiver);
        return AddImap(builder, MailingBuilder.Section(builder, "Imap"), configure, configureReceiver, ImapPath);
    }

    /// <summary>Adds the IMAP receiver with the account bound to <paramref name="section"/> and its settings to its <c>Receiver</c> subsection.</summary>
    public static IMailingBuilder AddImapReceiver(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddImap(builder, section, null, null, MailingBuilder.PathOf(section, ImapPath));
    }

    private static IMailingBuilder AddImap(IMailingBuilder builder, IConfiguration? section, Action<ImapOptions>? configure, Action<ImapReceiverOptions>? configureReceiver, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var first = ReceiverRegistration.TryAdd(builder.Services, "imap");
        ImapOptionsRegistration.Add(builder.Services, first ? section : null, configure, path);
        var options = builder.Services.AddOptions<ImapReceiverOptions>();
        if (first && section is not null)
            options.Bind(section.GetSection("Receiver"));
        if (configureReceiver is not null)
            options.Configure(configureReceiver);
        if (!first)
            return builder;

        options.ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ImapReceiverOptions>>(new ImapReceiverOptionsValidator(path + ":Receiver"));
        MailboxStateFiles.AddTo(builder.Services);
        builder.Services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<ImapReceiverOptions>>().Value;
            var (store, durable) = MailboxStateFiles.Resolve(sp, settings.StateFilePath);
            return new ImapMailReceiver(
                sp.GetRequiredService<ImapConnector>(),
                sp.GetRequiredService<IOptions<ImapOptions>>().Value,
                settings,
                store,
                durable,
                sp.GetRequiredService<TimeProvider>(),
                sp.LoggerFactory().CreateLogger<ImapMailReceiver>());
        });
        builder.Services.AddSingleton<IMailArrivalNotifier>(sp => sp.GetRequiredService<ImapMailReceiver>());
        return MailingBuilderReceivingExtensions.AddReceiver(builder, "AddImapReceiver", sp => sp.GetRequiredService<ImapMailReceiver>());
    }
}
