using System.Buffers;
using System.Text;

namespace Mailing.Toolkit.Sieve.Internal;

/// <summary>
/// One command line: atoms written as they are (command names and numbers, never user data), strings from users
/// always as non-synchronising literals (<c>{n+}</c> CRLF then n bytes, RFC 5804 4), so no name or script can end the
/// command early. Keeps a loggable text beside the bytes: literal content is replaced by its size, and arguments
/// marked secret (SASL exchanges) by asterisks.
/// </summary>
internal sealed class ManageSieveCommand
{
    private readonly ArrayBufferWriter<byte> bytes = new();
    private readonly StringBuilder log = new();

    public ManageSieveCommand(string name)
    {
        Name = name;
        Append(name, name);
    }

    /// <summary>The command's name, for messages.</summary>
    public string Name { get; }

    public string LogText => log.ToString();

    public ManageSieveCommand Atom(string atom)
    {
        Append(" " + atom, " " + atom);
        return this;
    }

    /// <summary>A script name: a literal, shown in the log.</summary>
    public ManageSieveCommand ScriptName(string name) => Literal(name, logContent: true);

    /// <summary>Script content: a literal, shown in the log by its size only.</summary>
    public ManageSieveCommand Content(string content) => Literal(content, logContent: false);

    /// <summary>A base64 or mechanism token as a quoted string (their alphabet needs no escaping); masked in the log when secret.</summary>
    public ManageSieveCommand Quoted(string token, bool secret)
    {
        Append($" \"{token}\"", secret ? " \"***\"" : $" \"{token}\"");
        return this;
    }

    public byte[] ToBytes()
    {
        bytes.Write("\r\n"u8);
        return bytes.WrittenSpan.ToArray();
    }

    private ManageSieveCommand Literal(string value, bool logContent)
    {
        var content = Encoding.UTF8.GetBytes(value);
        var header = $" {{{content.Length}+}}\r\n";
        bytes.Write(Encoding.ASCII.GetBytes(header));
        bytes.Write(content);
        log.Append(logContent ? $" \"{value}\"" : $" <{content.Length} bytes>");
        return this;
    }

    private void Append(string wire, string logged)
    {
        bytes.Write(Encoding.ASCII.GetBytes(wire));
        log.Append(logged);
    }
}
