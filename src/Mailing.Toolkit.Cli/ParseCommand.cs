using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Mailing.Toolkit.Parsing;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Cli;

/// <summary>
/// <c>mailing parse FILE...</c>: prints what <see cref="IMailParser"/> makes of messages, as JSON. One file gives one
/// indented object; several give JSON Lines, one object per file with a <c>file</c> field. A file that cannot be
/// read or parsed gives <c>{"file": ..., "error": ...}</c> and exit code 1 at the end; the other files still run.
/// </summary>
internal sealed class ParseCommand(Func<Stream>? openStandardInput = null) : ICliCommand
{
    private static readonly JsonWriterOptions ErrorJson = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    private readonly Func<Stream> openStandardInput = openStandardInput ?? Console.OpenStandardInput;

    public string Summary => "parse messages (.eml files or standard input) and print what was found as JSON";

    public string Usage => """
        Usage: mailing parse FILE... [--lines]

        Parses each message the way IMailParser does (bodies, attachments, the visible reply, bounces,
        automatic replies, feedback reports, mailing-list headers) and prints it as JSON
        (see docs/parsed-mail-json.md).

          FILE      a message file (.eml); - reads one message from standard input
          --lines   one JSON object per line even for a single file (several files always do this);
                    each line has a "file" field

        A file that cannot be read or parsed prints {"file": ..., "error": ...} and the others go on.
        Exit codes: 0 all parsed, 1 at least one file failed, 2 a usage mistake.
        """;

    public IReadOnlyDictionary<string, bool> Options { get; } = new Dictionary<string, bool>(StringComparer.Ordinal)
    {
        ["lines"] = false,
    };

    public bool AcceptsArguments => true;

    public async Task<int> RunAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var files = commandLine.Arguments;
        if (files.Count == 0)
            throw new CommandLineException("give at least one message file, or - for standard input.");
        if (files.Count(f => f == "-") > 1)
            throw new CommandLineException("standard input (-) can be read once.");

        var services = new ServiceCollection();
        services.AddMailing().AddMailParser();
        var provider = services.BuildServiceProvider();
        await using var disposeProvider = provider.ConfigureAwait(false);
        var parser = provider.GetRequiredService<IMailParser>();
        var lines = files.Count > 1 || commandLine.Has("lines");

        var failed = 0;
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string json;
            try
            {
                var mail = await ParseAsync(parser, file, cancellationToken).ConfigureAwait(false);
                json = lines ? WithFile(file, ParsedMailJson.Serialize(mail)) : ParsedMailJson.Serialize(mail, indented: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or MailParseException or FormatException or NotSupportedException)
            {
                failed++;
                json = Error(file, e);
            }
            await stdout.WriteLineAsync(json).ConfigureAwait(false);
        }
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (failed > 0)
            await stderr.WriteLineAsync($"error: {failed} of {files.Count} file(s) could not be parsed.").ConfigureAwait(false);
        return failed == 0 ? MailingCli.Success : MailingCli.Failure;
    }

    private async Task<ParsedMail> ParseAsync(IMailParser parser, string file, CancellationToken cancellationToken)
    {
        if (file == "-")
        {
            var input = openStandardInput();
            await using var disposeInput = input.ConfigureAwait(false);
            return await parser.ParseAsync(input, cancellationToken).ConfigureAwait(false);
        }
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        await using var disposeStream = stream.ConfigureAwait(false);
        return await parser.ParseAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Puts <c>"file"</c> first in an object the serializer wrote.</summary>
    private static string WithFile(string file, string json)
    {
        var name = $"\"{JsonEncodedText.Encode(file, ErrorJson.Encoder)}\"";
        return json.Length > 2 ? $"{{\"file\":{name},{json[1..]}" : $"{{\"file\":{name}}}";
    }

    private static string Error(string file, Exception e)
    {
        var message = e switch
        {
            FileNotFoundException or DirectoryNotFoundException => $"file not found: {Path.GetFullPath(file)}",
            MailParseException parse => parse.Message,
            _ => e.Message,
        };
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, ErrorJson))
        {
            writer.WriteStartObject();
            writer.WriteString("file", file);
            writer.WriteString("error", message);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
