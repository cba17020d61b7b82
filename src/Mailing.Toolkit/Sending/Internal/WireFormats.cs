using MimeKit;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>How transports write a message: Bcc recipients travel on the envelope only, never in a header.</summary>
internal static class WireFormats
{
    /// <summary>For SMTP and for copies of what a server receives (CRLF line endings).</summary>
    public static readonly FormatOptions Network = Create(NewLineFormat.Dos);

    /// <summary>For Maildir files, which use the Unix line endings Postfix and Dovecot write.</summary>
    public static readonly FormatOptions Maildir = Create(NewLineFormat.Unix);

    private static FormatOptions Create(NewLineFormat newLine)
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = newLine;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        return format;
    }
}
