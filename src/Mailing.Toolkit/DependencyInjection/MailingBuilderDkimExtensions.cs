using Mailing.Toolkit;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DKIM signing of outgoing mail.</summary>
public static class MailingBuilderDkimExtensions
{
    private const string DkimPath = "Mailing:Dkim";

    /// <summary>
    /// Signs every outgoing message with DKIM, configured from <c>Mailing:Dkim</c> (<see cref="DkimSigningOptions"/>):
    /// once per key of its From domain, as an <see cref="IOutgoingMailFilter"/> of stage
    /// <see cref="OutgoingMailFilterStage.Signature"/>, so after every other filter whatever the registration order.
    /// The keys are loaded when the host starts; a bad one fails the start with a message naming its entry.
    /// </summary>
    public static IMailingBuilder AddDkimSigning(this IMailingBuilder builder) =>
        AddDkim(builder, MailingBuilder.Section(builder, "Dkim"), null, DkimPath);

    /// <summary>Signs outgoing mail with DKIM; <paramref name="configure"/> runs after <c>Mailing:Dkim</c> is bound.</summary>
    public static IMailingBuilder AddDkimSigning(this IMailingBuilder builder, Action<DkimSigningOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddDkim(builder, MailingBuilder.Section(builder, "Dkim"), configure, DkimPath);
    }

    /// <summary>Signs outgoing mail with DKIM, configured from <paramref name="section"/>.</summary>
    public static IMailingBuilder AddDkimSigning(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddDkim(builder, section, null, MailingBuilder.PathOf(section, DkimPath));
    }

    private static IMailingBuilder AddDkim(IMailingBuilder builder, IConfiguration? section, Action<DkimSigningOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<DkimSigningOptions>();
        var first = !services.Any(d => d.ServiceType == typeof(DkimSigningRegistration));
        if (first && section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        if (!first)
            return builder;

        services.AddSingleton<DkimSigningRegistration>();
        options.ValidateOnStart();
        services.TryAddSingleton<DkimKeyRingHolder>();
        services.AddSingleton<IValidateOptions<DkimSigningOptions>>(sp =>
            new DkimSigningOptionsValidator(path, sp.GetRequiredService<DkimKeyRingHolder>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IOutgoingMailFilter>(sp => new DkimSigningFilter(
            sp.GetRequiredService<IOptions<DkimSigningOptions>>(),
            sp.GetRequiredService<DkimKeyRingHolder>(),
            sp.LoggerFactory().CreateLogger<DkimSigningFilter>()));
        return builder;
    }

    /// <summary>Marks DKIM signing as registered, so a second call only adds its configuration.</summary>
    private sealed class DkimSigningRegistration;
}
