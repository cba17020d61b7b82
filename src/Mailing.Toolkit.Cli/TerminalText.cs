using System.Text;

namespace Mailing.Toolkit.Cli;

/// <summary>Text from mail, DNS or servers made safe to print: no terminal control sequences reach the user's terminal.</summary>
internal static class TerminalText
{
    /// <summary>
    /// Line breaks, tabs and other control characters become spaces, so a value stays on its line and cannot move the
    /// cursor or recolour the terminal; with <paramref name="keepLineBreaks"/>, the text's own <c>\n</c> are kept.
    /// </summary>
    public static string Printable(string? text, bool keepLineBreaks = false)
    {
        if (string.IsNullOrEmpty(text))
            return string.Empty;
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
            builder.Append(char.IsControl(c) && !(keepLineBreaks && c == '\n') ? ' ' : c);
        return builder.ToString();
    }
}
