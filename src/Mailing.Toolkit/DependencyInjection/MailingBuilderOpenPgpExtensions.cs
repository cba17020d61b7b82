using Mailing.Toolkit;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers OpenPGP (PGP/MIME) signing, encryption, verification and decryption.</summary>
public static class MailingBuilderOpenPgpExtensions
{
    private const string OpenPgpPath = "Mailing:OpenPgp";

    /// <summary>
    /// Adds OpenPGP, configured from <c>Mailing:OpenPgp</c> (<see cref="OpenPgpOptions"/>): outgoing mail is signed and
    /// encrypted by an <see cref="IOutgoingMailFilter"/> of stage <see cref="OutgoingMailFilterStage.Encryption"/>
    /// (before DKIM) as the policies say, and <c>IMailParser</c> verifies and decrypts PGP/MIME content, with the
    /// results on <c>ParsedMail.Protection</c>. The keys are read when the host starts; a bad one, or a passphrase that
    /// does not unlock its key, fails the start with a message naming its entry.
    /// </summary>
    public static IMailingBuilder AddOpenPgp(this IMailingBuilder builder) =>
        AddPgp(builder, MailingBuilder.Section(builder, "OpenPgp"), null, OpenPgpPath);

    /// <summary>Adds OpenPGP; <paramref name="configure"/> runs after <c>Mailing:OpenPgp</c> is bound.</summary>
    public static IMailingBuilder AddOpenPgp(this IMailingBuilder builder, Action<OpenPgpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddPgp(builder, MailingBuilder.Section(builder, "OpenPgp"), configure, OpenPgpPath);
    }

    /// <summary>Adds OpenPGP, configured from <paramref name="section"/>.</summary>
    public static IMailingBuilder AddOpenPgp(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddPgp(builder, section, null, MailingBuilder.PathOf(section, OpenPgpPath));
    }

    private static IMailingBuilder AddPgp(IMailingBuilder builder, IConfiguration? section, Action<OpenPgpOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<OpenPgpOptions>();
        var first = !services.Any(d => d.ServiceType == typeof(OpenPgpRegistration));
        if (first && section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        if (!first)
            return builder;

        services.AddSingleton<OpenPgpRegistration>();
        options.ValidateOnStart();
        services.TryAddSingleton<OpenPgpKeyringHolder>();
        services.AddSingleton<IValidateOptions<OpenPgpOptions>>(sp =>
            new OpenPgpOptionsValidator(path, sp.GetRequiredService<OpenPgpKeyringHolder>(), sp.LoggerFactory().CreateLogger<OpenPgpOptionsValidator>()));
        services.AddSingleton<IOutgoingMailFilter>(sp => new OpenPgpFilter(
            sp.GetRequiredService<IOptions<OpenPgpOptions>>(),
            sp.GetRequiredService<OpenPgpKeyringHolder>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory().CreateLogger<OpenPgpFilter>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IContentUnprotector, OpenPgpUnprotector>(sp =>
        {
            var value = sp.GetRequiredService<IOptions<OpenPgpOptions>>().Value;
            var keyring = sp.GetRequiredService<OpenPgpKeyringHolder>().Keyring
                ?? throw new InvalidOperationException("The OpenPGP keys were not loaded: the Mailing:OpenPgp options were not validated.");
            return new OpenPgpUnprotector(keyring, value.MaxDecryptedSize, sp.GetRequiredService<TimeProvider>(), sp.LoggerFactory().CreateLogger<OpenPgpUnprotector>());
        }));
        return builder;
    }

    /// <summary>Marks OpenPGP as registered, so a second call only adds its configuration.</summary>
    private sealed class OpenPgpRegistration;
}
