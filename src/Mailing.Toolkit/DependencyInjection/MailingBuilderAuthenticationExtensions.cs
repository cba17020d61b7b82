using Mailing.Toolkit;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IMailAuthenticator"/> (SPF, DKIM, ARC, DMARC) and the <see cref="IDnsResolver"/> it uses.</summary>
public static class MailingBuilderAuthenticationExtensions
{
    private const string AuthenticationPath = "Mailing:Authentication";
    private const string DnsPath = "Mailing:Dns";

    /// <summary>
    /// Adds the <see cref="IMailAuthenticator"/>, configured from <c>Mailing:Authentication</c>, and, unless another is
    /// registered, the default <see cref="IDnsResolver"/> (the system's or <c>Mailing:Dns:Servers</c> name servers, with
    /// a TTL cache; configure it with <c>Mailing:Dns</c> or <c>services.Configure&lt;DnsResolverOptions&gt;</c>).
    /// </summary>
    public static IMailingBuilder AddMailAuthentication(this IMailingBuilder builder) =>
        AddCore(builder, MailingBuilder.Section(builder, "Authentication"), null, AuthenticationPath);

    /// <summary>Adds the authenticator; <paramref name="configure"/> runs after <c>Mailing:Authentication</c> is bound.</summary>
    public static IMailingBuilder AddMailAuthentication(this IMailingBuilder builder, Action<MailAuthenticationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(builder, MailingBuilder.Section(builder, "Authentication"), configure, AuthenticationPath);
    }

    /// <summary>Adds the authenticator, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddMailAuthentication(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddCore(builder, section, null, MailingBuilder.PathOf(section, AuthenticationPath));
    }

    private static IMailingBuilder AddCore(IMailingBuilder builder, IConfiguration? section, Action<MailAuthenticationOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<MailAuthenticationOptions>();
        if (services.Any(d => d.ServiceType == typeof(AuthenticationRegistration)))
        {
            if (configure is not null)
                options.Configure(configure);
            return builder;
        }

        services.AddSingleton<AuthenticationRegistration>();
        // Bound first, so code given to AddMailAuthentication(configure) wins over configuration.
        if (section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<MailAuthenticationOptions>>(new MailAuthenticationOptionsValidator(path));

        var dns = services.AddOptions<DnsResolverOptions>();
        if (MailingBuilder.Section(builder, "Dns") is { } dnsSection)
            dns.Bind(dnsSection);
        dns.ValidateOnStart();
        services.AddSingleton<IValidateOptions<DnsResolverOptions>>(new DnsResolverOptionsValidator(DnsPath));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDnsResolver>(sp =>
        {
            var value = sp.GetRequiredService<IOptions<DnsResolverOptions>>().Value;
            var resolver = new DnsClientResolver(value, sp.LoggerFactory().CreateLogger<DnsClientResolver>());
            return new CachingDnsResolver(resolver, value, sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddSingleton<IMailAuthenticator>(sp => new MailAuthenticator(
            sp.GetRequiredService<IDnsResolver>(),
            sp.GetRequiredService<IOptions<MailAuthenticationOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory().CreateLogger<MailAuthenticator>()));
        return builder;
    }

    /// <summary>Marks the authenticator as registered, so a second call only adds its configuration.</summary>
    private sealed class AuthenticationRegistration;
}
