using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Cli;

/// <summary>
/// <c>mailing check FILE</c>: authenticates one message (SPF for the connection facts given, every DKIM signature, the
/// ARC chain, DMARC) and prints the results as text or one JSON object. <c>--dns ZONE.json</c> resolves from a zone
/// file alone, for offline evaluation.
/// </summary>
internal sealed class CheckCommand(Func<Stream>? openStandardInput = null) : ICliCommand
{
    private static readonly JsonWriterOptions Json = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All), Indented = true };

    private readonly Func<Stream> openStandardInput = openStandardInput ?? Console.OpenStandardInput;

    public string Summary => "authenticate a message (SPF, DKIM, ARC, DMARC) and print the results";

    public string Usage => """
        Usage: mailing check FILE [--ip ADDRESS] [--helo NAME] [--mail-from ADDRESS] [--dns ZONE.json]
                                  [--authserv-id ID] [--rspamd URL | --spamd HOST:PORT] [--client-name NAME]
                                  [--json]

        Checks where a message came from: SPF for the client that sent it (needs --ip), every DKIM
        signature, the ARC chain, and DMARC for the From domain (RFC 9989 tree walk). DNS is asked
        through the system's resolvers unless --dns gives a zone file to resolve from alone.

          FILE             the message (.eml); - reads it from standard input
          --ip             the client's IP address, as the receiving MTA saw it
          --helo           the name the client gave in HELO/EHLO
          --mail-from      the envelope sender (MAIL FROM); "" or <> for a bounce's null sender
          --dns            a JSON zone: {"example.com": {"TXT": ["v=spf1 ..."], "MX": ["10 mx.example.com"]}}
          --authserv-id    the name written in the Authentication-Results line (default mailing-check)
          --rspamd         also ask rspamd at URL (http://127.0.0.1:11333) for a spam verdict
          --spamd          also ask SpamAssassin's spamd at HOST:PORT for a spam verdict
          --client-name    the client's reverse DNS name as the MTA found it, for the spam server
          --json           print one JSON object: dkim, arc, spf, dmarc (and spam when asked)

        Exit codes: 0 evaluated (whatever the verdict), 1 the message or zone could not be read,
        2 a usage mistake.
        """;

    public IReadOnlyDictionary<string, bool> Options { get; } = new Dictionary<string, bool>(StringComparer.Ordinal)
    {
        ["ip"] = true,
        ["helo"] = true,
        ["mail-from"] = true,
        ["dns"] = true,
        ["authserv-id"] = true,
        ["rspamd"] = true,
        ["spamd"] = true,
        ["client-name"] = true,
        ["json"] = false,
    };

    public bool AcceptsArguments => true;

    public async Task<int> RunAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (commandLine.Arguments.Count != 1)
            throw new CommandLineException("give exactly one message file, or - for standard input.");
        var connection = ReadConnection(commandLine);
        var authServId = commandLine.Get("authserv-id") ?? "mailing-check";
        var spam = ReadSpamServer(commandLine);

        InMemoryDnsZone? zone = null;
        MimeMessage message;
        try
        {
            if (commandLine.Get("dns") is { } zoneFile)
                zone = InMemoryDnsZone.FromJson(await File.ReadAllTextAsync(zoneFile, cancellationToken).ConfigureAwait(false));
            message = await LoadAsync(commandLine.Arguments[0], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            var reason = e is FileNotFoundException or DirectoryNotFoundException ? $"file not found: {e.Message}" : e.Message;
            await stderr.WriteLineAsync($"error: {reason}").ConfigureAwait(false);
            return MailingCli.Failure;
        }

        using (message)
        {
            var services = new ServiceCollection();
            if (zone is not null)
                services.AddSingleton<IDnsResolver>(zone);
            var mailing = services.AddMailing().AddMailAuthentication(o => o.AuthServId = authServId);
            if (spam.Rspamd is { } rspamd)
                mailing.AddRspamd(o => { o.Url = rspamd; o.FailureMode = SpamFailureMode.FailClosed; });
            if (spam.Spamd is { } spamd)
                mailing.AddSpamAssassin(o => { o.Host = spamd.Host; o.Port = spamd.Port; o.FailureMode = SpamFailureMode.FailClosed; });
            var provider = services.BuildServiceProvider();
            await using var disposeProvider = provider.ConfigureAwait(false);
            MailAuthenticationResults results;
            SpamVerdict? verdict = null;
            try
            {
                results = await provider.GetRequiredService<IMailAuthenticator>().AuthenticateAsync(message, connection, cancellationToken).ConfigureAwait(false);
                if (provider.GetService<ISpamClassifier>() is { } classifier)
                {
                    var context = new SpamCheckContext { Connection = connection, Authentication = results, ClientHostName = commandLine.Get("client-name") };
                    verdict = await classifier.ClassifyAsync(message, context, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException e)
            {
                throw new CommandLineException(e.Message);
            }
            catch (SpamCheckException e)
            {
                await stderr.WriteLineAsync($"error: the spam check failed: {e.Message}").ConfigureAwait(false);
                return MailingCli.Failure;
            }

            await stdout.WriteLineAsync(commandLine.Has("json") ? ToJson(results, verdict) : ToText(results, verdict)).ConfigureAwait(false);
        }

        return MailingCli.Success;
    }

    private static MailConnectionInfo? ReadConnection(CommandLine commandLine)
    {
        IPAddress? address = null;
        if (commandLine.Get("ip") is { } ip && !IPAddress.TryParse(ip, out address))
            throw new CommandLineException($"'{ip}' is not an IP address (--ip).");
        var mailFrom = commandLine.Get("mail-from");
        if (mailFrom is "<>")
            mailFrom = "";
        var helo = commandLine.Get("helo");
        if (address is null && (mailFrom is not null || helo is not null))
            throw new CommandLineException("--helo and --mail-from need --ip: SPF checks the client's address.");
        return address is null ? null : new MailConnectionInfo(address, helo, mailFrom);
    }

    private static (Uri? Rspamd, (string Host, int Port)? Spamd) ReadSpamServer(CommandLine commandLine)
    {
        var rspamd = commandLine.Get("rspamd");
        var spamd = commandLine.Get("spamd");
        if (rspamd is not null && spamd is not null)
            throw new CommandLineException("give --rspamd or --spamd, not both.");
        if (rspamd is not null)
        {
            return Uri.TryCreate(rspamd, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
                ? (url, null)
                : throw new CommandLineException($"'{rspamd}' is not an http(s) URL (--rspamd).");
        }

        if (spamd is not null)
        {
            var colon = spamd.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(spamd.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new CommandLineException($"'{spamd}' is not HOST:PORT (--spamd).");
            return (null, (spamd[..colon].Trim('[', ']'), port));
        }

        return (null, null);
    }

    private async Task<MimeMessage> LoadAsync(string file, CancellationToken cancellationToken)
    {
        if (file == "-")
        {
            var input = openStandardInput();
            await using var disposeInput = input.ConfigureAwait(false);
            return await MimeMessage.LoadAsync(input, cancellationToken).ConfigureAwait(false);
        }

        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        await using var disposeStream = stream.ConfigureAwait(false);
        return await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    private static string ToText(MailAuthenticationResults results, SpamVerdict? verdict)
    {
        var text = new System.Text.StringBuilder();
        var spf = results.Spf;
        text.Append("spf:   ").Append(Lower(spf.Status));
        if (spf.Domain is not null)
            text.Append(" (").Append(spf.Identity).Append(' ').Append(spf.Domain).Append(')');
        if (!string.IsNullOrEmpty(spf.Explanation))
            text.Append(": ").Append(spf.Explanation);
        text.AppendLine();
        if (results.Dkim.Count == 0)
            text.AppendLine("dkim:  none (no signature)");
        foreach (var dkim in results.Dkim)
        {
            text.Append("dkim:  ").Append(Lower(dkim.Status)).Append(" d=").Append(dkim.Domain).Append(" s=").Append(dkim.Selector).Append(" a=").Append(dkim.Algorithm);
            if (dkim.Reason is not null)
                text.Append(": ").Append(dkim.Reason);
            text.AppendLine();
        }

        text.Append("arc:   ").Append(Lower(results.Arc.Status));
        if (results.Arc.FailedInstance is { } instance)
            text.Append(" (instance ").Append(instance).Append(')');
        if (results.Arc.Status == AuthenticationStatus.Fail && results.Arc.Reason is not null)
            text.Append(": ").Append(results.Arc.Reason);
        text.AppendLine();
        var dmarc = results.Dmarc;
        text.Append("dmarc: ").Append(Lower(dmarc.Status));
        if (dmarc.Domain is not null)
            text.Append(" (").Append(dmarc.Domain).Append(')');
        if (dmarc.Policy is { } policy)
            text.Append(" policy ").Append(Lower(policy)).Append(", disposition ").Append(Lower(dmarc.Disposition)).Append(dmarc.Testing ? " (t=y)" : "");
        if (dmarc.Reason is not null)
            text.Append(": ").Append(dmarc.Reason);
        text.AppendLine();
        if (verdict is not null)
        {
            text.Append("spam:  ").Append(Lower(verdict.Action)).Append(" (").Append(verdict.Classifier).Append(": score ")
                .Append(verdict.Score.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)).Append(" of ")
                .Append(verdict.Threshold.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)).Append(')');
            if (verdict.Symbols.Count > 0)
                text.Append(' ').AppendJoin(' ', verdict.Symbols.Select(s => s.Name));
            text.AppendLine();
        }

        text.Append(AuthenticationResultsHeader.Name).Append(": ").Append(AuthenticationResultsHeader.Format(results));
        // Reasons and explanations carry text from the message and from DNS.
        return TerminalText.Printable(text.ToString().ReplaceLineEndings("\n"), keepLineBreaks: true);
    }

    private static string ToJson(MailAuthenticationResults results, SpamVerdict? verdict)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Json))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("dkim");
            foreach (var dkim in results.Dkim)
            {
                writer.WriteStartObject();
                writer.WriteString("domain", dkim.Domain);
                writer.WriteString("selector", dkim.Selector);
                writer.WriteString("result", Lower(dkim.Status));
                writer.WriteString("reason", dkim.Reason);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartObject("arc");
            writer.WriteString("result", Lower(results.Arc.Status));
            if (results.Arc.FailedInstance is { } instance)
                writer.WriteNumber("instance", instance);
            else
                writer.WriteNull("instance");
            writer.WriteEndObject();
            writer.WriteStartObject("spf");
            writer.WriteString("result", Lower(results.Spf.Status));
            writer.WriteString("domain", results.Spf.Domain);
            writer.WriteString("explanation", results.Spf.Explanation);
            writer.WriteEndObject();
            writer.WriteStartObject("dmarc");
            writer.WriteString("result", Lower(results.Dmarc.Status));
            writer.WriteString("domain", results.Dmarc.Domain);
            writer.WriteString("policy", results.Dmarc.Policy is { } policy ? Lower(policy) : null);
            writer.WriteString("disposition", Lower(results.Dmarc.Disposition));
            writer.WriteEndObject();
            if (verdict is not null)
            {
                writer.WriteStartObject("spam");
                writer.WriteNumber("score", verdict.Score);
                writer.WriteNumber("threshold", verdict.Threshold);
                writer.WriteString("action", Lower(verdict.Action));
                writer.WriteStartArray("symbols");
                foreach (var symbol in verdict.Symbols)
                    writer.WriteStringValue(symbol.Name);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Lower(AuthenticationStatus status) => status.ToString().ToLowerInvariant();

    private static string Lower(DmarcPolicy policy) => policy.ToString().ToLowerInvariant();

    /// <summary>The action in rspamd's words: <c>no action</c>, <c>add header</c>, <c>reject</c>.</summary>
    private static string Lower(SpamAction action) => action switch
    {
        SpamAction.NoAction => "no action",
        SpamAction.Greylist => "greylist",
        SpamAction.AddHeader => "add header",
        SpamAction.RewriteSubject => "rewrite subject",
        SpamAction.SoftReject => "soft reject",
        _ => "reject",
    };
}
