using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// SpamAssassin's spamd over TCP, protocol SPAMC/1.5: one connection per message, <c>CHECK</c>, <c>SYMBOLS</c> or
/// <c>REPORT</c> with <c>Content-length</c> and an optional <c>User</c>, the message, then the reply read to its end or
/// to the size limit. The connection facts travel as Received and Authentication-Results fields placed above the message.
/// </summary>
internal sealed class SpamAssassinClassifier(SpamAssassinOptions options, string path, TimeProvider time, ILogger logger) : ISpamClassifier
{
    public const string ClassifierName = "spamassassin";

    private readonly string server = $"{options.Host}:{options.Port.ToString(CultureInfo.InvariantCulture)}";

    public async ValueTask<SpamVerdict> ClassifyAsync(MimeMessage message, SpamCheckContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var prefix = new List<string>(2);
        if (options.SendConnectionInfo && context is not null)
        {
            // Top down as a receiving MTA leaves them: its Authentication-Results above its own Received field, which
            // is where SpamAssassin's AuthRes plugin expects the results of the receiving host.
            if (context.Authentication is { } authentication && SpamRequestContent.AuthenticationResultsField(authentication) is { } results)
                prefix.Add(results);
            if (context.Connection is { } connection && SpamRequestContent.ReceivedField(connection, context.ClientHostName, Environment.MachineName, time.GetUtcNow()) is { } received)
                prefix.Add(received);
        }

        var body = SpamRequestContent.Write(message, prefix, options.MaxMessageBytes, cancellationToken);
        if (body is null)
        {
            SpamAssassinLog.Skipped(logger, message.MessageId, path, options.MaxMessageBytes);
            return new SpamVerdict
            {
                Classifier = ClassifierName,
                Origin = SpamVerdictOrigin.Skipped,
                Reason = $"the message is larger than {path}:MaxMessageBytes ({options.MaxMessageBytes} bytes)",
            };
        }

        var request = new StringBuilder()
            .Append(options.Command switch { SpamdCommand.Check => "CHECK", SpamdCommand.Symbols => "SYMBOLS", _ => "REPORT" })
            .Append(" SPAMC/1.5\r\nContent-length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        if (!string.IsNullOrEmpty(options.User))
            request.Append("User: ").Append(options.User).Append("\r\n");
        request.Append("\r\n");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Timeout);
        var connected = false;
        try
        {
            using var client = new TcpClient { NoDelay = true };
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token))
            {
                connect.CancelAfter(options.ConnectTimeout);
                await client.ConnectAsync(options.Host, options.Port, connect.Token).ConfigureAwait(false);
            }

            connected = true;
            var stream = client.GetStream();
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), deadline.Token).ConfigureAwait(false);
                await stream.WriteAsync(body, deadline.Token).ConfigureAwait(false);
                client.Client.Shutdown(SocketShutdown.Send);
                var reply = await SpamReplies.ReadBoundedAsync(stream, options.MaxResponseBytes, path, deadline.Token).ConfigureAwait(false);
                var verdict = SpamReplies.ParseSpamd(reply.Span, options.Command, options.RejectScore);
                SpamAssassinLog.Classified(logger, server, message.MessageId, verdict.Action, verdict.Score, verdict.Threshold, verdict.Symbols.Count);
                return verdict;
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = connected || deadline.IsCancellationRequested
                ? $"no answer within {path}:Timeout ({options.Timeout.TotalSeconds:0.###} s)"
                : $"could not connect within {path}:ConnectTimeout ({options.ConnectTimeout.TotalSeconds:0.###} s)";
            return Fail(message, reason, ex);
        }
        catch (SocketException ex)
        {
            return Fail(message, $"{(connected ? "the connection failed" : "could not connect")} ({ex.SocketErrorCode})", ex);
        }
        catch (IOException ex)
        {
            return Fail(message, $"the connection failed ({SpamReplies.Printable(ex.Message)})", ex);
        }
        catch (SpamReplyException ex)
        {
            return Fail(message, ex.Message, null);
        }
    }

    private SpamVerdict Fail(MimeMessage message, string reason, Exception? exception)
    {
        if (options.FailureMode == SpamFailureMode.FailClosed)
        {
            SpamAssassinLog.FailedClosed(logger, exception, server, message.MessageId, reason);
            throw new SpamCheckException(
                $"spamd at {server} could not classify the message: {reason}. {path}:FailureMode is FailClosed, so the message is not passed on unchecked.",
                ClassifierName,
                exception);
        }

        SpamAssassinLog.FailedOpen(logger, exception, server, message.MessageId, reason);
        return new SpamVerdict { Classifier = ClassifierName, Origin = SpamVerdictOrigin.Failure, Reason = $"spamd at {server}: {reason}" };
    }
}
