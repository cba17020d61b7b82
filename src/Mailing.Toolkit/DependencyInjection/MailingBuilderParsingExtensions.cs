using Mailing.Toolkit;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Parsing.Internal;
using Mailing.Toolkit.Security.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IMailParser"/> on the mailing builder.</summary>
public static class MailingBuilderParsingExtensions
{
    private const string ParsingPath = "Mailing:Parsing";

    /// <summary>Adds <see cref="IMailParser"/> with the limits bound from <c>Mailing:Parsing</c> (safe defaults when absent).</summary>
    public static IMailingBuilder AddMailParser(this IMailingBuilder builder) =>
        AddParser(builder, MailingBuilder.Section(builder, "Parsing"), null, ParsingPath);

    /// <summary>Adds <see cref="IMailParser"/>; <paramref name="configure"/> runs after <c>Mailing:Parsing</c> is bound.</summary>
    public static IMailingBuilder AddMailParser(this IMailingBuilder builder, Action<MailParserOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddParser(builder, MailingBuilder.Section(builder, "Parsing"), configure, ParsingPath);
    }

    /// <summary>Adds <see cref="IMailParser"/> with its options bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddMailParser(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddParser(builder, section, null, MailingBuilder.PathOf(section, ParsingPath));
    }

    private static IMailingBuilder AddParser(IMailingBuilder builder, IConfiguration? section, Action<MailParserOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<MailParserOptions>();
        if (builder.Services.Any(d => d.ServiceType == typeof(IMailParser)))
        {
            // Registered already: a later configure still applies, the section is bound once.
            if (configure is not null)
                options.Configure(configure);
            return builder;
        }

        if (section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        options.ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MailParserOptions>>(new MailParserOptionsValidator(path));
        builder.Services.TryAddSingleton<IMailParser>(sp => new MailParser(
            sp.GetRequiredService<IOptions<MailParserOptions>>().Value,
            sp.LoggerFactory().CreateLogger<MailParser>(),
            sp.GetRequiredService<MailingInstrumentation>(),
            sp.GetServices<IContentUnprotector>().ToArray()));
        return builder;
    }
}
