using Mailing.Toolkit;
using Mailing.Toolkit.Scriban;
using Mailing.Toolkit.Scriban.Internal;
using Mailing.Toolkit.Templating;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the Scriban email template renderer as <see cref="IMailTemplateRenderer"/>:
/// <c>services.AddMailing(...).AddScribanTemplates(o =&gt; o.Root = "Templates")</c>.
/// </summary>
public static class MailingBuilderScribanExtensions
{
    private const string ConventionalPath = ScribanTemplateOptions.SectionPath;

    /// <summary>Adds the Scriban template renderer, configured from <c>Mailing:Templates</c>.</summary>
    public static IMailingBuilder AddScribanTemplates(this IMailingBuilder builder) =>
        AddCore(builder, MailingSection(builder), null, ConventionalPath);

    /// <summary>Adds the Scriban template renderer; <paramref name="configure"/> runs after <c>Mailing:Templates</c> is bound.</summary>
    public static IMailingBuilder AddScribanTemplates(this IMailingBuilder builder, Action<ScribanTemplateOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(builder, MailingSection(builder), configure, ConventionalPath);
    }

    /// <summary>Adds the Scriban template renderer, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddScribanTemplates(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddCore(builder, section, null, section is IConfigurationSection { Path.Length: > 0 } bound ? bound.Path : ConventionalPath);
    }

    private static IMailingBuilder AddCore(IMailingBuilder builder, IConfiguration? section, Action<ScribanTemplateOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var first = !services.Any(d => d.ServiceType == typeof(ScribanTemplatesMarker));
        var options = services.AddOptions<ScribanTemplateOptions>();
        if (first && section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        if (!first)
            return builder;

        services.AddSingleton(new ScribanTemplatesMarker());
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<ScribanTemplateOptions>>(new ScribanTemplateOptionsValidator(path));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMailTemplateRenderer>(sp =>
        {
            var value = sp.GetRequiredService<IOptions<ScribanTemplateOptions>>().Value;
            var loggerFactory = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            return new ScribanMailTemplateRenderer(value, CreateSource(value), sp.GetRequiredService<TimeProvider>(), loggerFactory.CreateLogger("Mailing.Toolkit.Scriban"));
        });
        return builder;
    }

    internal static ITemplateSource CreateSource(ScribanTemplateOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Root))
            return new FileSystemTemplateSource(TemplateRoot.Resolve(options.Root) ?? options.Root, options.MaxTemplateSize, options.WatchForChanges);
        if (options.ResourceAssembly is not null)
            return new EmbeddedTemplateSource(options.ResourceAssembly, options.ResourcePrefix, options.MaxTemplateSize);
        return new InMemoryTemplateSource(new Dictionary<string, string>(options.InMemoryTemplates, StringComparer.Ordinal));
    }

    /// <summary>The <c>Templates</c> subsection of the configuration given to <c>AddMailing</c>, or null when it got none.</summary>
    private static IConfiguration? MailingSection(IMailingBuilder builder) => builder.GetConfigurationSection("Templates");

    /// <summary>Marks the renderer as registered, so a second call only adds its configuration.</summary>
    private sealed class ScribanTemplatesMarker;
}
