using Mailing.Toolkit;
using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.AutoResponding.Internal;
using Mailing.Toolkit.Templating;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="IAutoResponder"/>.</summary>
public static class MailingBuilderAutoRespondingExtensions
{
    private const string AutoResponderPath = "Mailing:AutoResponder";

    /// <summary>
    /// Adds the <see cref="IAutoResponder"/>, configured from <c>Mailing:AutoResponder</c>. It sends through the
    /// default <see cref="IMailSender"/> and renders templates with the <see cref="IMailTemplateRenderer"/> when one is registered.
    /// </summary>
    public static IMailingBuilder AddAutoResponder(this IMailingBuilder builder) =>
        AddAutoResponderCore(builder, MailingBuilder.Section(builder, "AutoResponder"), null, AutoResponderPath);

    /// <summary>
    /// Adds the <see cref="IAutoResponder"/>; <paramref name="configure"/> runs after <c>Mailing:AutoResponder</c> is bound,
    /// for example to add rules in code: <c>o =&gt; o.Rules.Add(new AutoReplyRule { ... })</c>.
    /// </summary>
    public static IMailingBuilder AddAutoResponder(this IMailingBuilder builder, Action<AutoResponderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddAutoResponderCore(builder, MailingBuilder.Section(builder, "AutoResponder"), configure, AutoResponderPath);
    }

    /// <summary>Adds the <see cref="IAutoResponder"/>, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddAutoResponder(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddAutoResponderCore(builder, section, null, MailingBuilder.PathOf(section, AutoResponderPath));
    }

    private static IMailingBuilder AddAutoResponderCore(IMailingBuilder builder, IConfiguration? section, Action<AutoResponderOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var first = SenderRegistration.TryAdd(services, "autoresponder", null);
        var options = services.AddOptions<AutoResponderOptions>();
        // Bound once: binding the section again on a second call would add its rules twice.
        if (first && section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        if (!first)
            return builder;

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<AutoResponderOptions>>(sp => new AutoResponderOptionsValidator(
            path, () => sp.GetService<IServiceProviderIsService>()?.IsService(typeof(IMailTemplateRenderer)) ?? false));
        services.TryAddSingleton<AutoResponderTelemetry>();
        services.TryAddSingleton<IAutoReplyHistory>(sp =>
        {
            var value = sp.GetRequiredService<IOptions<AutoResponderOptions>>().Value;
            return value.HistoryPath is { Length: > 0 } file
                ? new FileAutoReplyHistory(file, sp.GetRequiredService<TimeProvider>(), sp.LoggerFactory().CreateLogger<FileAutoReplyHistory>())
                : new InMemoryAutoReplyHistory();
        });
        services.TryAddSingleton<IAutoResponder>(sp => new AutoResponder(
            sp.GetRequiredService<IOptions<AutoResponderOptions>>().Value,
            sp.GetRequiredService<IOptions<MailingOptions>>().Value.DefaultFrom,
            sp.GetRequiredService<IMailSender>(),
            sp.GetRequiredService<IAutoReplyHistory>(),
            sp.GetService<IMailTemplateRenderer>(),
            sp.GetRequiredService<AutoResponderTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory().CreateLogger<AutoResponder>()));
        return builder;
    }
}
