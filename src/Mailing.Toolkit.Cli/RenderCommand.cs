using System.Globalization;
using System.Text;
using System.Text.Json;
using Mailing.Toolkit.Scriban;
using Mailing.Toolkit.Templating;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Cli;

/// <summary>
/// <c>mailing render</c>: renders one email from a template folder and a JSON model, to look at it before it is sent.
/// </summary>
internal sealed class RenderCommand : ICliCommand
{
    public string Summary => "render an email from Scriban templates and a JSON model into .eml, .html or .txt";

    public string Usage => """
        Usage: mailing render --templates DIR --name NAME --model MODEL.json [--culture C] [--out FILE]
                              [--format eml|html|text] [--from ADDRESS] [--to ADDRESS]

        Renders template NAME from the templates in DIR with the model in MODEL.json, the way the application
        sends it, so you can look at the email first.

          --templates DIR   the template folder: NAME/subject.scriban, NAME/html.scriban, _layouts/, _partials/
          --name NAME       the template, for example welcome
          --model FILE      a JSON object: the model the template sees (customer_name, order.lines, ...);
                            strings in ISO 8601 date form (2026-03-01) become dates
          --culture C       the culture of the email, for example pl-PL (falls back to pl, then the default
                            templates); without it the invariant culture and the default templates are used
          --out FILE        write FILE: .eml (the whole email), .html (the HTML body) or .txt (the text body);
                            without it the email is written to standard output
          --format F        what goes to standard output: eml (default), html or text
          --from, --to      addresses for the From and To headers of the .eml

        Exit codes: 0 rendered, 1 a template, model or file problem (the message names it), 2 a usage mistake.
        """;

    public IReadOnlyDictionary<string, bool> Options { get; } = new Dictionary<string, bool>(StringComparer.Ordinal)
    {
        ["templates"] = true,
        ["name"] = true,
        ["model"] = true,
        ["culture"] = true,
        ["out"] = true,
        ["format"] = true,
        ["from"] = true,
        ["to"] = true,
    };

    public async Task<int> RunAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var templates = commandLine.Require("templates");
        var name = commandLine.Require("name");
        var modelPath = commandLine.Require("model");
        var culture = ParseCulture(commandLine.Get("culture"));
        var output = commandLine.Get("out");
        var format = OutputFormat(output, commandLine.Get("format"));
        var from = ParseAddress(commandLine, "from");
        var to = ParseAddress(commandLine, "to");

        if (!Directory.Exists(templates))
            return await Fail(stderr, $"the template folder '{Path.GetFullPath(templates)}' does not exist.").ConfigureAwait(false);
        if (!File.Exists(modelPath))
            return await Fail(stderr, $"the model file '{Path.GetFullPath(modelPath)}' does not exist.").ConfigureAwait(false);

        JsonDocument model;
        try
        {
            var json = await File.ReadAllBytesAsync(modelPath, cancellationToken).ConfigureAwait(false);
            model = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            return await Fail(stderr, $"the model file '{modelPath}' is not valid JSON: {e.Message}").ConfigureAwait(false);
        }

        using (model)
        {
            if (model.RootElement.ValueKind != JsonValueKind.Object)
                return await Fail(stderr, $"the model file '{modelPath}' must hold a JSON object, not {model.RootElement.ValueKind}.").ConfigureAwait(false);

            var services = new ServiceCollection();
            services.AddMailing().AddScribanTemplates(o => o.Root = Path.GetFullPath(templates));
            var provider = services.BuildServiceProvider();
            await using var disposeProvider = provider.ConfigureAwait(false);

            RenderedMail mail;
            try
            {
                var renderer = provider.GetRequiredService<IMailTemplateRenderer>();
                mail = await renderer.RenderAsync(name, model.RootElement, culture, cancellationToken).ConfigureAwait(false);
            }
            catch (MailTemplateException e)
            {
                return await Fail(stderr, e.Message).ConfigureAwait(false);
            }
            catch (OptionsValidationException e)
            {
                return await Fail(stderr, string.Join(" ", e.Failures)).ConfigureAwait(false);
            }
            catch (ArgumentException e) when (e.ParamName == "name")
            {
                throw new CommandLineException($"--name: {e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal)}");
            }

            var label = $"template '{name}' (culture '{(culture.Name.Length == 0 ? "invariant" : culture.Name)}')";
            string content;
            switch (format)
            {
                case "html":
                    if (mail.HtmlBody is null)
                        return await Fail(stderr, $"{label} has no HTML part ({name}/html.scriban); write .eml or .txt instead.").ConfigureAwait(false);
                    content = mail.HtmlBody;
                    break;
                case "text":
                    if (mail.TextBody is null)
                        return await Fail(stderr, $"{label} has no text part; write .eml or .html instead.").ConfigureAwait(false);
                    content = mail.TextBody;
                    break;
                default:
                    content = ToEml(mail, from, to);
                    break;
            }

            if (output is null)
            {
                await stdout.WriteAsync(content).ConfigureAwait(false);
                if (!content.EndsWith('\n'))
                    await stdout.WriteLineAsync().ConfigureAwait(false);
                return MailingCli.Success;
            }

            try
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(output));
                if (directory is not null)
                    Directory.CreateDirectory(directory);
                await File.WriteAllTextAsync(output, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return await Fail(stderr, $"could not write '{output}': {e.Message}").ConfigureAwait(false);
            }
            await stdout.WriteLineAsync($"Rendered {label} to {output}: \"{mail.Subject}\"").ConfigureAwait(false);
            return MailingCli.Success;
        }
    }

    private static string ToEml(RenderedMail mail, EmailAddress? from, EmailAddress? to)
    {
        var message = new MailMessage { From = from, Subject = mail.Subject, HtmlBody = mail.HtmlBody, TextBody = mail.TextBody };
        if (to is not null)
            message.To.Add(to);
        using var mime = message.ToMimeMessage();
        if (from is null)
            mime.Headers.Remove(MimeKit.HeaderId.From); // a preview without --from: no empty From line
        using var stream = new MemoryStream();
        mime.WriteTo(stream);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static string OutputFormat(string? output, string? format)
    {
        if (output is not null)
        {
            if (format is not null)
                throw new CommandLineException("use either --out (the format follows its extension) or --format, not both.");
            return Path.GetExtension(output).ToUpperInvariant() switch
            {
                ".EML" => "eml",
                ".HTML" or ".HTM" => "html",
                ".TXT" => "text",
                _ => throw new CommandLineException($"--out '{output}': the file name must end in .eml, .html or .txt."),
            };
        }
        return format switch
        {
            null or "eml" => "eml",
            "html" or "text" => format,
            _ => throw new CommandLineException($"--format must be eml, html or text (was '{format}')."),
        };
    }

    private static CultureInfo ParseCulture(string? name)
    {
        if (name is null)
            return CultureInfo.InvariantCulture;
        try
        {
            return CultureInfo.GetCultureInfo(name, predefinedOnly: true);
        }
        catch (CultureNotFoundException)
        {
            throw new CommandLineException($"--culture '{name}' is not a known culture (examples: en, en-US, pl-PL).");
        }
    }

    private static EmailAddress? ParseAddress(CommandLine commandLine, string option)
    {
        var text = commandLine.Get(option);
        if (text is null)
            return null;
        return EmailAddress.TryParse(text, out var address)
            ? address
            : throw new CommandLineException($"--{option} '{text}' is not an email address.");
    }

    private static async Task<int> Fail(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"error: {message}").ConfigureAwait(false);
        return MailingCli.Failure;
    }
}
