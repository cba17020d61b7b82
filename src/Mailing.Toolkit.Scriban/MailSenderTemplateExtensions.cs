using System.Globalization;
using Mailing.Toolkit.Templating;

namespace Mailing.Toolkit;

/// <summary>
/// Sends an email rendered from a template in one call:
/// <code>
/// await sender.SendTemplateAsync(renderer, "welcome", new { CustomerName = "Alice" }, "alice@example.com", new CultureInfo("pl-PL"));
/// </code>
/// </summary>
public static class MailSenderTemplateExtensions
{
    /// <summary>Renders template <paramref name="templateName"/> and sends it to one recipient.</summary>
    /// <param name="sender">The sender.</param>
    /// <param name="renderer">The template renderer (<c>AddScribanTemplates()</c> registers one).</param>
    /// <param name="templateName">The template, for example <c>welcome</c>.</param>
    /// <param name="model">The model the template sees.</param>
    /// <param name="to">The recipient.</param>
    /// <param name="culture">The culture of the email; the current UI culture when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels rendering and sending.</param>
    /// <returns>The result of the send.</returns>
    /// <exception cref="Mailing.Toolkit.Scriban.MailTemplateException">The template is missing or fails.</exception>
    /// <exception cref="MailDeliveryException">The message could not be delivered.</exception>
    public static Task<SendResult> SendTemplateAsync(
        this IMailSender sender,
        IMailTemplateRenderer renderer,
        string templateName,
        object? model,
        EmailAddress to,
        CultureInfo? culture = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        return sender.SendTemplateAsync(renderer, templateName, model, new MailMessage { To = { to } }, culture, cancellationToken);
    }

    /// <summary>
    /// Renders template <paramref name="templateName"/> into <paramref name="message"/> (its subject, HTML and text body)
    /// and sends it: set the recipients, From, headers and attachments on <paramref name="message"/> first.
    /// </summary>
    /// <param name="sender">The sender.</param>
    /// <param name="renderer">The template renderer (<c>AddScribanTemplates()</c> registers one).</param>
    /// <param name="templateName">The template, for example <c>welcome</c>.</param>
    /// <param name="model">The model the template sees.</param>
    /// <param name="message">The message to fill and send.</param>
    /// <param name="culture">The culture of the email; the current UI culture when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels rendering and sending.</param>
    /// <returns>The result of the send.</returns>
    /// <exception cref="Mailing.Toolkit.Scriban.MailTemplateException">The template is missing or fails.</exception>
    /// <exception cref="MailDeliveryException">The message could not be delivered.</exception>
    public static async Task<SendResult> SendTemplateAsync(
        this IMailSender sender,
        IMailTemplateRenderer renderer,
        string templateName,
        object? model,
        MailMessage message,
        CultureInfo? culture = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(renderer);
        ArgumentException.ThrowIfNullOrWhiteSpace(templateName);
        ArgumentNullException.ThrowIfNull(message);

        var rendered = await renderer.RenderAsync(templateName, model, culture, cancellationToken).ConfigureAwait(false);
        message.Subject = rendered.Subject;
        message.HtmlBody = rendered.HtmlBody;
        message.TextBody = rendered.TextBody;
        return await sender.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }
}
