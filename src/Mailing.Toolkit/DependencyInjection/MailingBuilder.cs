using Mailing.Toolkit;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The builder <c>AddMailing</c> returns; remembers the <c>Mailing</c> section so features bind their own subsection.</summary>
internal sealed class MailingBuilder(IServiceCollection services, IConfiguration? configuration) : IMailingBuilder
{
    public IServiceCollection Services { get; } = services;

    public IConfiguration? Configuration { get; } = configuration;

    /// <summary>The subsection of the Mailing configuration with this key, or null when AddMailing got no configuration.</summary>
    public static IConfiguration? Section(IMailingBuilder builder, string key) =>
        builder is MailingBuilder { Configuration: { } configuration } ? configuration.GetSection(key) : null;

    /// <summary>The key path a user would fix, for error messages: the bound section's path, or the conventional one.</summary>
    public static string PathOf(IConfiguration? section, string conventional) =>
        section is IConfigurationSection { Path.Length: > 0 } bound ? bound.Path : conventional;
}
