using System.Text;
using MimeKit;
using MimeKit.IO;
using MimeKit.Utils;

namespace Mailing.Toolkit.Benchmarks.Infrastructure;

/// <summary>The test messages: plain text, about 2 KB on the wire, from bench@ to sink@example.test.</summary>
internal static class BenchMessages
{
    public const string From = "bench@example.test";
    public const string To = "sink@example.test";

    private static readonly string Body = CreateBody(approximateBytes: 1750);

    /// <summary>A complete message (From, To, Subject, Date, Message-ID set), so no variant has to fill anything in.</summary>
    public static MimeMessage Create(int index)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(From));
        message.To.Add(MailboxAddress.Parse(To));
        message.Subject = $"Benchmark message {index}";
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = MimeUtils.GenerateMessageId("example.test");
        message.Body = new TextPart(MimeKit.Text.TextFormat.Plain) { Text = Body };
        return message;
    }

    /// <summary>The size of the message as MailKit sends it (CRLF line endings, before dot-stuffing).</summary>
    public static long WireSize(MimeMessage message)
    {
        using var measure = new MeasuringStream();
        message.WriteTo(FormatOptions.Default, measure);
        return measure.Length;
    }

    private static string CreateBody(int approximateBytes)
    {
        const string Words = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua";
        var text = new StringBuilder();
        var line = new StringBuilder();
        var words = Words.Split(' ');
        for (var i = 0; text.Length < approximateBytes; i++)
        {
            if (line.Length + words[i % words.Length].Length + 1 > 72)
            {
                text.Append(line).Append("\r\n");
                line.Clear();
            }

            line.Append(line.Length == 0 ? string.Empty : " ").Append(words[i % words.Length]);
        }

        return text.ToString();
    }
}
