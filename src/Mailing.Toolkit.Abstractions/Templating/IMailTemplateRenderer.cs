using System.Globalization;

namespace Mailing.Toolkit.Templating;

/// <summary>Renders a named email template with a model into the parts of one email.</summary>
public interface IMailTemplateRenderer
{
    /// <summary>Renders the subject, HTML body and text body of template <paramref name="name"/>.</summary>
    /// <param name="name">The template name, for example <c>welcome</c>.</param>
    /// <param name="model">The model the template sees.</param>
    /// <param name="culture">The culture for localized variants and formatting; the current UI culture when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels rendering.</param>
    ValueTask<RenderedMail> RenderAsync(string name, object? model, CultureInfo? culture = null, CancellationToken cancellationToken = default);
}

/// <summary>The output of a template: ready to put into a <see cref="MailMessage"/>.</summary>
/// <param name="Subject">The subject line.</param>
/// <param name="HtmlBody">The HTML body, or <see langword="null"/>.</param>
/// <param name="TextBody">The text body, or <see langword="null"/>.</param>
public sealed record RenderedMail(string Subject, string? HtmlBody, string? TextBody);
