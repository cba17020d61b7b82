using Mailing.Toolkit;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ARC sealing (RFC 8617) of mail the application forwards.</summary>
public static class MailingBuilderArcExtensions
{
    private const string ArcPath = "Mailing:Arc";

    /// <summary>
    /// Registers <see cref="IArcSealer"/>, configured from <c>Mailing:Arc</c> (<see cref="ArcSealingOptions"/>): a handler
    /// that forwards inbound mail seals it with the results the pipeline computed before sending it. The keys are loaded
    /// when the host starts; a bad one (missing, not RSA, too short) fails the start with a message naming its entry.
    /// </summary>
    public static IMailingBuilder AddArcSealing(this IMailingBuilder builder) =>
        AddArc(builder, MailingBuilder.Section(builder, "Arc"), null, ArcPath);

    /// <summary>Registers ARC sealing; <paramref name="configure"/> runs after <c>Mailing:Arc</c> is bound.</summary>
    public static IMailingBuilder AddArcSealing(this IMailingBuilder builder, Action<ArcSealingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddArc(builder, MailingBuilder.Section(builder, "Arc"), configure, ArcPath);
    }

    /// <summary>Registers ARC sealing, configured from <paramref name="section"/>.</summary>
    public static IMailingBuilder AddArcSealing(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddArc(builder, section, null, MailingBuilder.PathOf(section, ArcPath));
    }

    private static IMailingBuilder AddArc(IMailingBuilder builder, IConfiguration? section, Action<ArcSealingOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<ArcSealingOptions>();
        var first = !services.Any(d => d.ServiceType == typeof(ArcSealingRegistration));
        if (first && section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        if (!first)
            return builder;

        services.AddSingleton<ArcSealingRegistration>();
        options.ValidateOnStart();
        services.TryAddSingleton<ArcKeyRingHolder>();
        services.AddSingleton<IValidateOptions<ArcSealingOptions>>(sp => new ArcSealingOptionsValidator(path, sp.GetRequiredService<ArcKeyRingHolder>()));
        services.TryAddSingleton<IArcSealer>(sp => new ArcSealer(
            sp.GetRequiredService<IOptions<ArcSealingOptions>>(),
            sp.GetRequiredService<ArcKeyRingHolder>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory().CreateLogger<ArcSealer>()));
        return builder;
    }

    /// <summary>Marks ARC sealing as registered, so a second call only adds its configuration.</summary>
    private sealed class ArcSealingRegistration;
}
