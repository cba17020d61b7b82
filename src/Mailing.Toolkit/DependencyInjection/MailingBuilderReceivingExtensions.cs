using Mailing.Toolkit;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers receivers. The receiver added becomes the <see cref="IMailReceiver"/>; adding the same one again
/// only applies its configure action, and adding a second, different one is reported as a mistake.
/// </summary>
public static class MailingBuilderReceivingExtensions
{
    private const string MaildirPath = "Mailing:Maildir:Receiver";
    private const string Pop3Path = "Mailing:Pop3";

    /// <summary>Adds the Maildir receiver as the <see cref="IMailReceiver"/>, configured from <c>Mailing:Maildir:Receiver</c>.</summary>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder) =>
        AddMaildir(builder, MailingBuilder.Section(builder, "Maildir:Receiver"), null, MaildirPath);

    /// <summary>Adds the Maildir receiver reading <paramref name="path"/> as the <see cref="IMailReceiver"/>: the embedded default that needs no server.</summary>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return AddMaildir(builder, MailingBuilder.Section(builder, "Maildir:Receiver"), o => o.Path = path, MaildirPath);
    }

    /// <summary>Adds the Maildir receiver as the <see cref="IMailReceiver"/>; <paramref name="configure"/> runs after <c>Mailing:Maildir:Receiver</c> is bound.</summary>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, Action<MaildirReceiverOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddMaildir(builder, MailingBuilder.Section(builder, "Maildir:Receiver"), configure, MaildirPath);
    }

    /// <summary>Adds the Maildir receiver as the <see cref="IMailReceiver"/>, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddMaildirReceiver(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddMaildir(builder, section, null, MailingBuilder.PathOf(section, MaildirPath));
    }

    /// <summary>Adds the POP3 receiver as the <see cref="IMailReceiver"/>, configured from <c>Mailing:Pop3</c>.</summary>
    public static IMailingBuilder AddPop3Receiver(this IMailingBuilder builder) =>
        AddPop3(builder, MailingBuilder.Section(builder, "Pop3"), null, Pop3Path);

    /// <summary>Adds the POP3 receiver as the <see cref="IMailReceiver"/>; <paramref name="configure"/> runs after <c>Mailing:Pop3</c> is bound.</summary>
    public static IMailingBuilder AddPop3Receiver(this IMailingBuilder builder, Action<Pop3ReceiverOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddPop3(builder, MailingBuilder.Section(builder, "Pop3"), configure, Pop3Path);
    }

    /// <summary>Adds the POP3 receiver as the <see cref="IMailReceiver"/>, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddPop3Receiver(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddPop3(builder, section, null, MailingBuilder.PathOf(section, Pop3Path));
    }

    private static IMailingBuilder AddMaildir(IMailingBuilder builder, IConfiguration? section, Action<MaildirReceiverOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var first = ReceiverRegistration.TryAdd(builder.Services, "maildir");
        var options = Configure(builder.Services.AddOptions<MaildirReceiverOptions>(), first ? section : null, configure);
        if (!first)
            return builder;

        options.ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MaildirReceiverOptions>>(new MaildirReceiverOptionsValidator(path));
        return AddReceiver(builder, "AddMaildirReceiver", sp => new MaildirMailReceiver(
            sp.GetRequiredService<IOptions<MaildirReceiverOptions>>().Value,
            sp.LoggerFactory().CreateLogger<MaildirMailReceiver>()));
    }

    private static IMailingBuilder AddPop3(IMailingBuilder builder, IConfiguration? section, Action<Pop3ReceiverOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var first = ReceiverRegistration.TryAdd(builder.Services, "pop3");
        var options = Configure(builder.Services.AddOptions<Pop3ReceiverOptions>(), first ? section : null, configure);
        if (!first)
            return builder;

        options.ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<Pop3ReceiverOptions>>(new Pop3ReceiverOptionsValidator(path));
        MailboxStateFiles.AddTo(builder.Services);
        return AddReceiver(builder, "AddPop3Receiver", sp =>
        {
            var settings = sp.GetRequiredService<IOptions<Pop3ReceiverOptions>>().Value;
            var (store, durable) = MailboxStateFiles.Resolve(sp, settings.StateFilePath);
            return new Pop3MailReceiver(settings, store, durable, sp.GetRequiredService<TimeProvider>(), sp.LoggerFactory());
        });
    }

    private static OptionsBuilder<TOptions> Configure<TOptions>(OptionsBuilder<TOptions> options, IConfiguration? section, Action<TOptions>? configure)
        where TOptions : class
    {
        if (section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        return options;
    }

    internal static IMailingBuilder AddReceiver(IMailingBuilder builder, string method, Func<IServiceProvider, IMailReceiver> factory)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(IMailReceiver) && !d.IsKeyedService))
        {
            throw new InvalidOperationException(
                $"{method}() cannot register the IMailReceiver: another receiver already is registered. Keep one receiver per application for now.");
        }

        builder.Services.AddSingleton(factory);
        return builder;
    }
}

/// <summary>Marks a receiver transport as registered, so adding it twice registers it once.</summary>
internal sealed record ReceiverRegistration(string Transport)
{
    public static bool TryAdd(IServiceCollection services, string transport)
    {
        var registration = new ReceiverRegistration(transport);
        if (services.Any(d => d.ServiceType == typeof(ReceiverRegistration) && Equals(d.ImplementationInstance, registration)))
            return false;
        services.AddSingleton(registration);
        return true;
    }
}
