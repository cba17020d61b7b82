using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// rspamd over HTTP: <c>POST /checkv2</c> with the message as the body and the connection facts as request headers
/// (<c>IP</c>, <c>Helo</c>, <c>From</c>, <c>Rcpt</c>, <c>User</c>, <c>Hostname</c>, <c>Queue-Id</c>). rspamd has no
/// request header for upstream authentication results, so they travel as an Authentication-Results field placed above
/// the message.
/// </summary>
internal sealed class RspamdClassifier : ISpamClassifier
{
    public const string ClassifierName = "rspamd";

    /// <summary>The named <see cref="HttpClient"/> of IHttpClientFactory.</summary>
    public const string HttpClientName = "Mailing.Toolkit.Rspamd";

    private readonly HttpClient http;
    private readonly RspamdOptions options;
    private readonly string path;
    private readonly ILogger logger;
    private readonly Uri endpoint;
    private readonly string server;

    public RspamdClassifier(HttpClient http, RspamdOptions options, string path, ILogger logger)
    {
        this.http = http;
        this.options = options;
        this.path = path;
        this.logger = logger;
        endpoint = new Uri(options.Url.AbsoluteUri.TrimEnd('/') + "/checkv2");
        server = $"{options.Url.Scheme}://{options.Url.Authority}";
    }

    public async ValueTask<SpamVerdict> ClassifyAsync(MimeMessage message, SpamCheckContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var headers = RequestHeaders(message, context);
        var prefix = new List<string>(1);
        if (options.SendAuthenticationResults && context?.Authentication is { } authentication && SpamRequestContent.AuthenticationResultsField(authentication) is { } field)
            prefix.Add(field);

        var body = SpamRequestContent.Write(message, prefix, options.MaxMessageBytes, cancellationToken);
        if (body is null)
        {
            RspamdLog.Skipped(logger, message.MessageId, path, options.MaxMessageBytes);
            return new SpamVerdict
            {
                Classifier = ClassifierName,
                Origin = SpamVerdictOrigin.Skipped,
                Reason = $"the message is larger than {path}:MaxMessageBytes ({options.MaxMessageBytes} bytes)",
            };
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
            foreach (var (name, value) in headers)
                request.Headers.TryAddWithoutValidation(name, value);
            if (!string.IsNullOrEmpty(options.Password))
                request.Headers.TryAddWithoutValidation("Password", options.Password);

            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var hint = response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden ? $" (check {path}:Password)" : "";
                return Fail(message, $"HTTP {(int)response.StatusCode} {SpamReplies.Printable(response.ReasonPhrase ?? "")}{hint}", null);
            }

            var reply = await ReadBoundedAsync(response.Content, deadline.Token).ConfigureAwait(false);
            var verdict = SpamReplies.ParseRspamd(reply);
            RspamdLog.Classified(logger, server, message.MessageId, verdict.Action, verdict.Score, verdict.Threshold, verdict.Symbols.Count);
            return verdict;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = deadline.IsCancellationRequested
                ? $"no answer within {path}:Timeout ({options.Timeout.TotalSeconds:0.###} s)"
                : $"could not connect within {path}:ConnectTimeout ({options.ConnectTimeout.TotalSeconds:0.###} s)";
            return Fail(message, reason, ex);
        }
        catch (HttpRequestException ex)
        {
            return Fail(message, $"the request failed ({SpamReplies.Printable(ex.Message)})", ex);
        }
        catch (IOException ex)
        {
            return Fail(message, $"the reply could not be read ({SpamReplies.Printable(ex.Message)})", ex);
        }
        catch (SpamReplyException ex)
        {
            return Fail(message, ex.Message, null);
        }
    }

    /// <summary>The protocol headers for what the caller knows; a value with CR, LF or NUL is refused.</summary>
    private static List<(string Name, string Value)> RequestHeaders(MimeMessage message, SpamCheckContext? context)
    {
        var headers = new List<(string, string)>();
        if (context?.Connection is { } connection)
        {
            if (connection.ClientAddress is { } address)
                headers.Add(("IP", address.ToString()));
            if (!string.IsNullOrEmpty(connection.HeloName))
                headers.Add(("Helo", HeaderSafety.EnsureSingleLine(connection.HeloName, "SpamCheckContext.Connection.HeloName", nameof(context))));
            if (connection.EnvelopeFrom is { } from)
            {
                HeaderSafety.EnsureSingleLine(from, "SpamCheckContext.Connection.EnvelopeFrom", nameof(context));
                if (from.Length == 0)
                    headers.Add(("From", "<>"));
                else if (Ascii.IsValid(from))
                    headers.Add(("From", from));
            }
        }

        if (context is not null)
        {
            // HttpClient writes repeated values as one comma-separated line; rspamd splits Rcpt on commas outside quotes.
            // rspamd (3.4) refuses SMTPUTF8 addresses in From and Rcpt and scores the message BROKEN_HEADERS for it, so
            // those are left out: rspamd then reads the message's own From and To instead.
            foreach (var recipient in context.Recipients)
            {
                HeaderSafety.EnsureSingleLine(recipient, "SpamCheckContext.Recipients", nameof(context));
                if (Ascii.IsValid(recipient))
                    headers.Add(("Rcpt", recipient));
            }

            if (!string.IsNullOrEmpty(context.AuthenticatedUser))
                headers.Add(("User", HeaderSafety.EnsureSingleLine(context.AuthenticatedUser, "SpamCheckContext.AuthenticatedUser", nameof(context))));
            if (!string.IsNullOrEmpty(context.ClientHostName))
                headers.Add(("Hostname", HeaderSafety.EnsureSingleLine(context.ClientHostName, "SpamCheckContext.ClientHostName", nameof(context))));
        }

        var queueId = context?.QueueId ?? message.MessageId;
        if (!string.IsNullOrEmpty(queueId) && !HeaderSafety.ContainsLineBreakOrNul(queueId))
            headers.Add(("Queue-Id", queueId));
        return headers;
    }

    private async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var limit = options.MaxResponseBytes;
        if (content.Headers.ContentLength is { } announced && announced > limit)
            throw new SpamReplyException($"the reply of {announced} bytes is larger than {path}:MaxResponseBytes ({limit} bytes)");

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
            return await SpamReplies.ReadBoundedAsync(stream, limit, path, cancellationToken).ConfigureAwait(false);
    }

    private SpamVerdict Fail(MimeMessage message, string reason, Exception? exception)
    {
        if (options.FailureMode == SpamFailureMode.FailClosed)
        {
            RspamdLog.FailedClosed(logger, exception, server, message.MessageId, reason);
            throw new SpamCheckException(
                $"rspamd at {server} could not classify the message: {reason}. {path}:FailureMode is FailClosed, so the message is not passed on unchecked.",
                ClassifierName,
                exception);
        }

        RspamdLog.FailedOpen(logger, exception, server, message.MessageId, reason);
        return new SpamVerdict { Classifier = ClassifierName, Origin = SpamVerdictOrigin.Failure, Reason = $"rspamd at {server}: {reason}" };
    }
}
