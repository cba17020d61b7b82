using Mailing.Toolkit;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Mailboxes;
using Mailing.Toolkit.Mailboxes.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IMailboxManager"/> (IMAP folders, access rights, quota and messages) on the mailing builder.</summary>
public static class MailingBuilderMailboxExtensions
{
    private const string ImapPath = "Mailing:Imap";

    /// <summary>Adds <see cref="IMailboxManager"/> for the IMAP account configured in <c>Mailing:Imap</c>.</summary>
    public static IMailingBuilder AddMailboxManager(this IMailingBuilder builder) =>
        AddManager(builder, MailingBuilder.Section(builder, "Imap"), null, ImapPath);

    /// <summary>Adds <see cref="IMailboxManager"/>; <paramref name="configure"/> runs after <c>Mailing:Imap</c> is bound.</summary>
    public static IMailingBuilder AddMailboxManager(this IMailingBuilder builder, Action<ImapOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddManager(builder, MailingBuilder.Section(builder, "Imap"), configure, ImapPath);
    }

    /// <summary>Adds <see cref="IMailboxManager"/> with the IMAP account bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddMailboxManager(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddManager(builder, section, null, MailingBuilder.PathOf(section, ImapPath));
    }

    private static IMailingBuilder AddManager(IMailingBuilder builder, IConfiguration? section, Action<ImapOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ImapOptionsRegistration.Add(builder.Services, section, configure, path);
        builder.Services.TryAddSingleton<IMailboxManager>(sp => new ImapMailboxManager(
            sp.GetRequiredService<ImapConnector>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory().CreateLogger<ImapMailboxManager>()));
        return builder;
    }
}
