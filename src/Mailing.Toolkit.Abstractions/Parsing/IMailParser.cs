using MimeKit;

namespace Mailing.Toolkit.Parsing;

/// <summary>
/// Turns any message, however broken, into a <see cref="ParsedMail"/> a backend can store and act on
/// without touching MIME. Parsing untrusted input is bounded by configured limits.
/// </summary>
public interface IMailParser
{
    /// <summary>Parses raw RFC 5322 bytes.</summary>
    /// <exception cref="MailParseException">A hard limit was hit (for example the message size).</exception>
    ValueTask<ParsedMail> ParseAsync(Stream stream, CancellationToken cancellationToken = default);

    /// <summary>Extracts a <see cref="ParsedMail"/> from an already parsed MimeKit message.</summary>
    ParsedMail Parse(MimeMessage message);
}

/// <summary>Parsing stopped because the input broke a limit; <see cref="Limit"/> names it.</summary>
public sealed class MailParseException : Exception
{
    /// <summary>Creates an exception without a limit.</summary>
    public MailParseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a cause.</summary>
    public MailParseException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the limit that was hit.</summary>
    public MailParseException(string message, string? limit, Exception? innerException = null)
        : base(message, innerException)
    {
        Limit = limit;
    }

    /// <summary>The option name of the limit hit (for example <c>MaxMessageSize</c>), or <see langword="null"/>.</summary>
    public string? Limit { get; }
}
