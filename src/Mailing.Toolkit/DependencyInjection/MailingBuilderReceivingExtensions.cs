using Mailing.Toolkit;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the Maildir and POP3 receivers. The unnamed receiver becomes the <see cref="IMailReceiver"/>; adding the
/// same one again only applies its configure action, and adding a second, different unnamed one is reported as a
/// mistake. Further mailboxes are keyed receivers (<c>AddPop3Receiver("billing", ...)</c>), configured from
/// <c>Mailing:Receivers:{key}</c> and resolved with <c>[FromKeyedServices("billing")] IMailReceiver</c>. The same rules
/// hold per key: adding the same transport under a key again only applies its configure action, and a key another
/// receiver took already is refused with an <see cref="InvalidOperationException"/>.
/// </summary>
public static class MailingBuilderReceivingExtensions
{
    private const string MaildirPath = "Mailing:Maildir:Receiver";
    private const string Pop3Path = "Mailing:Pop3";

    /// <summary>Adds the Maildir receiver as the <see cref="IMailReceiver"/>, configured from <c>Mailing:Maildir:Receiver</c>.</summary>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder) =>
        AddMaildir(builder, null, MailingBuilder.Section(builder, "Maildir:Receiver"), null, MaildirPath);

    /// <summary>Adds the Maildir receiver reading <paramref name="path"/> as the <see cref="IMailReceiver"/>: the embedded default that needs no server.</summary>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return AddMaildir(builder, null, MailingBuilder.Section(builder, "Maildir:Receiver"), o => o.Path = path, MaildirPath);
    }

    /// <summary>Adds the Maildir receiver as the <see cref="IMailReceiver"/>; <paramref name="configure"/> runs after <c>Mailing:Maildir:Receiver</c> is bound.</summary>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, Action<MaildirReceiverOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddMaildir(builder, null, MailingBuilder.Section(builder, "Maildir:Receiver"), configure, MaildirPath);
    }

    /// <summary>Adds the Maildir receiver as the <see cref="IMailReceiver"/>, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddMaildir(builder, null, section, null, MailingBuilder.PathOf(section, MaildirPath));
    }

    /// <summary>
    /// Adds a Maildir receiver under <paramref name="key"/>, a keyed <see cref="IMailReceiver"/> reading
    /// <paramref name="path"/>; the other settings come from <c>Mailing:Receivers:{key}</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty, contains ':', a line break or NUL, or is <c>default</c>.</exception>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, string key, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ReceiverRegistration.CheckKey(key, nameof(key));
        return AddMaildir(builder, key, MailingBuilder.Section(builder, ReceiverRegistration.SectionKey(key)), o => o.Path = path, ReceiverRegistration.PathOf(key));
    }

    /// <summary>
    /// Adds a Maildir receiver under <paramref name="key"/>, a keyed <see cref="IMailReceiver"/>;
    /// <paramref name="configure"/> runs after <c>Mailing:Receivers:{key}</c> is bound.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty, contains ':', a line break or NUL, or is <c>default</c>.</exception>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, string key, Action<MaildirReceiverOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ReceiverRegistration.CheckKey(key, nameof(key));
        return AddMaildir(builder, key, MailingBuilder.Section(builder, ReceiverRegistration.SectionKey(key)), configure, ReceiverRegistration.PathOf(key));
    }

    /// <summary>Adds a Maildir receiver under <paramref name="key"/>, a keyed <see cref="IMailReceiver"/> bound to <paramref name="section"/>.</summary>
    /// <exception cref="ArgumentException">The key is empty, contains ':', a line break or NUL, or is <c>default</c>.</exception>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, string key, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        ReceiverRegistration.CheckKey(key, nameof(key));
        return AddMaildir(builder, key, section, null, MailingBuilder.PathOf(section, ReceiverRegistration.PathOf(key)));
    }

    /// <summary>Adds the POP3 receiver as the <see cref="IMailReceiver"/>, configured from <c>Mailing:Pop3</c>.</summary>
    public static IMailingBuilder AddPop3Receiver(this IMailingBuilder builder) =>
        AddPop3(builder, null, MailingBuilder.Section(builder, "Pop3"), null, Pop3Path);

    /// <summary>Adds the POP3 receiver as the <see cref="IMailReceiver"/>; <paramref name="configure"/> runs after <c>Mailing:Pop3</c> is bound.</summary>
    public static IMailingBuilder AddPop3Receiver(this IMailingBuilder builder, Action<Pop3ReceiverOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddPop3(builder, null, MailingBuilder.Section(builder, "Pop3"), configure, Pop3Path);
    }

    /// <summary>Adds the POP3 receiver as the <see cref="IMailReceiver"/>, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddPop3Receiver(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddPop3(builder, null, section, null, MailingBuilder.PathOf(section, Pop3Path));
    }

    /// <summary>
    /// Adds a POP3 receiver under <paramref name="key"/>, a keyed <see cref="IMailReceiver"/> configured from
    /// <c>Mailing:Receivers:{key}</c> (the keys of <c>Mailing:Pop3</c>); <paramref name="configure"/> runs after it is bound.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty, contains ':', a line break or NUL, or is <c>default</c>.</exception>
    public static IMailingBuilder AddPop3Receiver(this IMailingBuilder builder, string key, Action<Pop3ReceiverOptions>? configure = null)
    {
        ReceiverRegistration.CheckKey(key, nameof(key));
        return AddPop3(builder, key, MailingBuilder.Section(builder, ReceiverRegistration.SectionKey(key)), configure, ReceiverRegistration.PathOf(key));
    }

    /// <summary>Adds a POP3 receiver under <paramref name="key"/>, a keyed <see cref="IMailReceiver"/> bound to <paramref name="section"/>.</summary>
    /// <exception cref="ArgumentException">The key is empty, contains ':', a line break or NUL, or is <c>default</c>.</exception>
    public static IMailingBuilder AddPop3Receiver(this IMailingBuilder builder, string key, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        ReceiverRegistration.CheckKey(key, nameof(key));
        return AddPop3(builder, key, section, null, MailingBuilder.PathOf(section, ReceiverRegistration.PathOf(key)));
    }

    private static IMailingBuilder AddMaildir(IMailingBuilder builder, string? key, IConfiguration? section, Action<MaildirReceiverOptions>? configure, string path) =>
        ReceiverRegistration.Add<MaildirReceiverOptions, MaildirMailReceiver>(
            builder, "AddMaildirReceiver", "maildir", key, section, configure, path,
            p => new MaildirReceiverOptionsValidator(p),
            (sp, options) => new MaildirMailReceiver(options, sp.LoggerFactory().CreateLogger<MaildirMailReceiver>()));

    private static IMailingBuilder AddPop3(IMailingBuilder builder, string? key, IConfiguration? section, Action<Pop3ReceiverOptions>? configure, string path) =>
        ReceiverRegistration.Add<Pop3ReceiverOptions, Pop3MailReceiver>(
            builder, "AddPop3Receiver", "pop3", key, section, configure, path,
            p => new Pop3ReceiverOptionsValidator(p),
            (sp, options) =>
            {
                var (store, durable) = MailboxStateFiles.Resolve(sp, options.StateFilePath);
                return new Pop3MailReceiver(options, store, durable, sp.GetRequiredService<TimeProvider>(), sp.LoggerFactory());
            });
}
