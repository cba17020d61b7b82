using Mailing.Toolkit;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Gives a package that extends <see cref="IMailingBuilder"/> the configuration <c>AddMailing</c> was given.</summary>
public static class MailingBuilderConfigurationExtensions
{
    /// <summary>
    /// The subsection <paramref name="key"/> of the configuration passed to
    /// <see cref="MailingServiceCollectionExtensions.AddMailing(IServiceCollection, IConfiguration)"/>, for example
    /// <c>Mailing:Templates</c> for <c>"Templates"</c>, so a feature of your own binds its options where the built-in
    /// ones bind theirs. Its <see cref="IConfigurationSection.Path"/> is the key to name in validation messages.
    /// </summary>
    /// <param name="builder">The builder <c>AddMailing</c> returned.</param>
    /// <param name="key">The subsection's key; a path such as <c>Senders:marketing</c> works too.</param>
    /// <returns>The subsection (empty when the key is not configured), or <see langword="null"/> when <c>AddMailing</c> got no configuration.</returns>
    public static IConfigurationSection? GetConfigurationSection(this IMailingBuilder builder, string key)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return MailingBuilder.Section(builder, key) as IConfigurationSection;
    }
}
