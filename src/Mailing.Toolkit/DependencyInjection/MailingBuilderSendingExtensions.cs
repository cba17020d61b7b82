using Mailing.Toolkit;
using Mailing.Toolkit.Sending;
using Mailing.Toolkit.Sending.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers senders and outgoing filters. The first unnamed sender added becomes the <see cref="IMailSender"/>;
/// named senders are keyed services (<c>[FromKeyedServices("marketing")] IMailSender</c>).
/// </summary>
public static class MailingBuilderSendingExtensions
{
    private const string SmtpPath = "Mailing:Smtp";
    private const string MaildirPath = "Mailing:Maildir";
    private const string RedirectPath = "Mailing:Redirect";

    /// <summary>Adds the pooled SMTP sender as the default <see cref="IMailSender"/>, configured from <c>Mailing:Smtp</c>.</summary>
    public static IMailingBuilder AddSmtpSender(this IMailingBuilder builder) =>
        AddSmtp(builder, null, MailingBuilder.Section(builder, "Smtp"), null, SmtpPath);

    /// <summary>Adds the pooled SMTP sender as the default <see cref="IMailSender"/>; <paramref name="configure"/> runs after <c>Mailing:Smtp</c> is bound.</summary>
    public static IMailingBuilder AddSmtpSender(this IMailingBuilder builder, Action<SmtpSenderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddSmtp(builder, null, MailingBuilder.Section(builder, "Smtp"), configure, SmtpPath);
    }

    /// <summary>Adds the pooled SMTP sender as the default <see cref="IMailSender"/>, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddSmtpSender(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddSmtp(builder, null, section, null, MailingBuilder.PathOf(section, SmtpPath));
    }

    /// <summary>Adds a named SMTP sender, a keyed <see cref="IMailSender"/> configured from <c>Mailing:Senders:{name}</c>.</summary>
    public static IMailingBuilder AddSmtpSender(this IMailingBuilder builder, string name, Action<SmtpSenderOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return AddSmtp(builder, name, MailingBuilder.Section(builder, $"Senders:{name}"), configure, $"Mailing:Senders:{name}");
    }

    /// <summary>Adds a named SMTP sender, a keyed <see cref="IMailSender"/> bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddSmtpSender(this IMailingBuilder builder, string name, IConfiguration section)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(section);
        return AddSmtp(builder, name, section, null, MailingBuilder.PathOf(section, $"Mailing:Senders:{name}"));
    }

    /// <summary>Adds the Maildir sender as the default <see cref="IMailSender"/>, configured from <c>Mailing:Maildir</c>.</summary>
    public static IMailingBuilder AddMaildirSender(this IMailingBuilder builder) =>
        AddMaildir(builder, MailingBuilder.Section(builder, "Maildir"), null, MaildirPath);

    /// <summary>Adds the Maildir sender writing into <paramref name="path"/> as the default <see cref="IMailSender"/>: the embedded default that needs no server.</summary>
    public static IMailingBuilder AddMaildirSender(this IMailingBuilder builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return AddMaildir(builder, MailingBuilder.Section(builder, "Maildir"), o => o.Path = path, MaildirPath);
    }

    /// <summary>Adds the Maildir sender as the default <see cref="IMailSender"/>; <paramref name="configure"/> runs after <c>Mailing:Maildir</c> is bound.</summary>
    public static IMailingBuilder AddMaildirSender(this IMailingBuilder builder, Action<MaildirSenderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddMaildir(builder, MailingBuilder.Section(builder, "Maildir"), configure, MaildirPath);
    }

    /// <summary>Adds the Maildir sender as the default <see cref="IMailSender"/>, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddMaildirSender(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddMaildir(builder, section, null, MailingBuilder.PathOf(section, MaildirPath));
    }

    /// <summary>
    /// Adds a sender that delivers through your <typeparamref name="TTransport"/> as the default <see cref="IMailSender"/>.
    /// The sender runs the same steps as the built-in ones around it (default From, Message-ID, envelope, outgoing
    /// filters, header checks, logs, metrics and the <c>mailing.send</c> span); the transport only delivers.
    /// </summary>
    /// <remarks>
    /// <typeparamref name="TTransport"/> is resolved as a singleton of the container, shared by every sender that uses
    /// it: it is added with <c>TryAddSingleton</c>, so register it yourself first to build it your way
    /// (<c>services.AddSingleton(new MyTransport(...))</c>). Adding the same transport twice registers it once;
    /// adding it when another sender already is the default throws <see cref="InvalidOperationException"/>.
    /// </remarks>
    /// <typeparam name="TTransport">The transport; see <see cref="IMailTransport"/> for what it must do.</typeparam>
    public static IMailingBuilder AddTransport<TTransport>(this IMailingBuilder builder)
        where TTransport : class, IMailTransport =>
        AddTransportCore<TTransport>(builder, null);

    /// <summary>
    /// Adds a named sender that delivers through your <typeparamref name="TTransport"/>: a keyed <see cref="IMailSender"/>
    /// (<c>[FromKeyedServices("name")]</c>). The transport sees the key in <see cref="OutgoingMail.SenderName"/>.
    /// </summary>
    /// <typeparam name="TTransport">The transport, a singleton shared with the other senders that use it.</typeparam>
    public static IMailingBuilder AddTransport<TTransport>(this IMailingBuilder builder, string name)
        where TTransport : class, IMailTransport
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return AddTransportCore<TTransport>(builder, name);
    }

    /// <summary>
    /// Adds an <see cref="IOutgoingMailFilter"/> that runs before every transport: after the filters of earlier stages
    /// (<see cref="IOutgoingMailFilter.Stage"/>), and after the filters of its own stage added before it.
    /// </summary>
    public static IMailingBuilder AddOutgoingFilter<TFilter>(this IMailingBuilder builder)
        where TFilter : class, IOutgoingMailFilter
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IOutgoingMailFilter, TFilter>());
        return builder;
    }

    /// <summary>Redirects every message to <c>Mailing:Redirect:To</c>, for non-production environments.</summary>
    public static IMailingBuilder AddRedirectFilter(this IMailingBuilder builder) =>
        AddRedirect(builder, MailingBuilder.Section(builder, "Redirect"), null, RedirectPath);

    /// <summary>Redirects every message to one address, for non-production environments; <paramref name="configure"/> runs after <c>Mailing:Redirect</c> is bound.</summary>
    public static IMailingBuilder AddRedirectFilter(this IMailingBuilder builder, Action<RedirectFilterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddRedirect(builder, MailingBuilder.Section(builder, "Redirect"), configure, RedirectPath);
    }

    /// <summary>Redirects every message to one address, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddRedirectFilter(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddRedirect(builder, section, null, MailingBuilder.PathOf(section, RedirectPath));
    }

    private static IMailingBuilder AddSmtp(IMailingBuilder builder, string? name, IConfiguration? section, Action<SmtpSenderOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var optionsName = name ?? Options.Options.DefaultName;
        var first = SenderRegistration.TryAdd(builder.Services, "smtp", name);
        var options = Configure(builder.Services.AddOptions<SmtpSenderOptions>(optionsName), first ? section : null, configure);
        if (!first)
            return builder;

        options.ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SmtpSenderOptions>>(new SmtpSenderOptionsValidator(optionsName, path));
        return AddSender(builder, name, "AddSmtpSender", sp => new SmtpMailSender(
            name,
            sp.GetRequiredService<IOptionsMonitor<SmtpSenderOptions>>().Get(optionsName),
            sp.GetRequiredService<OutgoingMailPipeline>(),
            sp.GetRequiredService<SendingTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory()));
    }

    private static IMailingBuilder AddMaildir(IMailingBuilder builder, IConfiguration? section, Action<MaildirSenderOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var first = SenderRegistration.TryAdd(builder.Services, "maildir", null);
        var options = Configure(builder.Services.AddOptions<MaildirSenderOptions>(), first ? section : null, configure);
        if (!first)
            return builder;

        options.ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MaildirSenderOptions>>(new MaildirSenderOptionsValidator(path));
        return AddSender(builder, null, "AddMaildirSender", sp => new MaildirMailSender(
            null,
            sp.GetRequiredService<IOptions<MaildirSenderOptions>>().Value,
            sp.GetRequiredService<OutgoingMailPipeline>(),
            sp.GetRequiredService<SendingTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory().CreateLogger<MaildirMailSender>()));
    }

    private static IMailingBuilder AddRedirect(IMailingBuilder builder, IConfiguration? section, Action<RedirectFilterOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var first = SenderRegistration.TryAdd(builder.Services, "redirect", null);
        var options = Configure(builder.Services.AddOptions<RedirectFilterOptions>(), first ? section : null, configure);
        if (!first)
            return builder;

        options.ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RedirectFilterOptions>>(new RedirectFilterOptionsValidator(path));
        return builder.AddOutgoingFilter<RedirectFilter>();
    }

    private static IMailingBuilder AddTransportCore<TTransport>(IMailingBuilder builder, string? name)
        where TTransport : class, IMailTransport
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton<TTransport>();
        if (name is null && TransportRegistration.IsDefault(services, typeof(TTransport)))
            return builder;

        AddSender(builder, name, $"AddTransport<{typeof(TTransport).Name}>", sp => new TransportMailSender(
            sp.GetRequiredService<TTransport>(),
            name,
            sp.GetRequiredService<OutgoingMailPipeline>(),
            sp.GetRequiredService<SendingTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory().CreateLogger<TTransport>()));
        if (name is null)
            services.AddSingleton(new TransportRegistration(typeof(TTransport), services.Last(d => d.ServiceType == typeof(IMailSender) && !d.IsKeyedService)));
        return builder;
    }

    /// <summary>Binds the section (first registration only, so lists are not bound twice), then applies the action.</summary>
    private static OptionsBuilder<TOptions> Configure<TOptions>(OptionsBuilder<TOptions> options, IConfiguration? section, Action<TOptions>? configure)
        where TOptions : class
    {
        if (section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        return options;
    }

    /// <summary>
    /// Registers a sender as the default <see cref="IMailSender"/> or as a keyed one. Two different default
    /// transports are a configuration mistake, reported here rather than by silently ignoring one.
    /// </summary>
    internal static IMailingBuilder AddSender(IMailingBuilder builder, string? name, string method, Func<IServiceProvider, IMailSender> factory)
    {
        if (name is not null)
        {
            builder.Services.TryAddKeyedSingleton(name, (sp, _) => factory(sp));
            return builder;
        }

        if (builder.Services.Any(d => d.ServiceType == typeof(IMailSender) && !d.IsKeyedService))
        {
            throw new InvalidOperationException(
                $"{method}() cannot register the default IMailSender: another sender already is the default. " +
                "Keep one default sender, and add the others under a name, for example AddSmtpSender(\"backup\", ...), resolved with [FromKeyedServices(\"backup\")].");
        }

        builder.Services.AddSingleton(factory);
        return builder;
    }
}

/// <summary>Marks a transport registered under a name, so adding it twice registers it once.</summary>
internal sealed record SenderRegistration(string Transport, string? Name)
{
    public static bool TryAdd(IServiceCollection services, string transport, string? name)
    {
        var registration = new SenderRegistration(transport, name);
        if (services.Any(d => d.ServiceType == typeof(SenderRegistration) && Equals(d.ImplementationInstance, registration)))
            return false;
        services.AddSingleton(registration);
        return true;
    }
}

/// <summary>
/// Marks the default sender <c>AddTransport&lt;T&gt;()</c> added, by its descriptor: adding the same transport again
/// is a no-op while that sender is registered, and registers it again once a test host removed it.
/// </summary>
internal sealed record TransportRegistration(Type Transport, ServiceDescriptor Sender)
{
    public static bool IsDefault(IServiceCollection services, Type transport) =>
        services.Any(d => d.ServiceType == typeof(TransportRegistration)
            && d.ImplementationInstance is TransportRegistration registration
            && registration.Transport == transport
            && services.Contains(registration.Sender));
}
