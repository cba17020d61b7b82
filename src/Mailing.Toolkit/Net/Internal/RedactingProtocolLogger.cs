using MailKit;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Net.Internal;

/// <summary>
/// Bridges a MailKit protocol log to <see cref="ILogger"/> at Trace, for every protocol the same way: the secrets the
/// client's <see cref="IAuthenticationSecretDetector"/> finds (passwords, SASL responses, OAuth2 tokens) are masked
/// with <c>*</c> before anything else sees the bytes, and each protocol renders what remains, replacing message
/// content by its size. Costs nothing when Trace is off (decided when the client is created).
/// </summary>
internal abstract class RedactingProtocolLogger : IProtocolLogger
{
    private readonly ILogger? trace;

    protected RedactingProtocolLogger(ILogger logger)
    {
        trace = logger.IsEnabled(LogLevel.Trace) ? logger : null;
    }

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    public void LogConnect(Uri uri)
    {
        if (trace is not null)
            WriteConnect(trace, uri.GetLeftPart(UriPartial.Authority));
    }

    public void LogClient(byte[] buffer, int offset, int count)
    {
        if (trace is null)
            return;
        var bytes = buffer.AsSpan(offset, count).ToArray();
        var secrets = AuthenticationSecretDetector?.DetectSecrets(buffer, offset, count);
        if (secrets is not null)
        {
            foreach (var secret in secrets)
                bytes.AsSpan(secret.StartIndex - offset, secret.Length).Fill((byte)'*');
        }

        var text = RenderClient(bytes);
        if (text.Length > 0)
            WriteClient(trace, text);
    }

    public void LogServer(byte[] buffer, int offset, int count)
    {
        if (trace is null)
            return;
        var text = RenderServer(buffer.AsSpan(offset, count));
        if (text.Length > 0)
            WriteServer(trace, text);
    }

    public void Dispose()
    {
    }

    /// <summary>The text to log for bytes the client sent, secrets already masked; empty for nothing.</summary>
    protected abstract string RenderClient(ReadOnlySpan<byte> bytes);

    /// <summary>The text to log for bytes the server sent; empty for nothing.</summary>
    protected abstract string RenderServer(ReadOnlySpan<byte> bytes);

    protected abstract void WriteConnect(ILogger logger, string server);

    protected abstract void WriteClient(ILogger logger, string text);

    protected abstract void WriteServer(ILogger logger, string text);
}
