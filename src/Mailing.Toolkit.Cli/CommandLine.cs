namespace Mailing.Toolkit.Cli;

/// <summary>A usage mistake: reported with the command's help and exit code 2.</summary>
internal sealed class CommandLineException(string message) : Exception(message);

/// <summary>
/// Parsed <c>--name value</c>, <c>--name=value</c> and <c>--flag</c> options of one command, and its positional
/// arguments (file names; <c>-</c> for standard input) when the command takes them. After <c>--</c> every
/// argument is positional, so a file named <c>--x</c> can be given.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);
    private readonly List<string> arguments = [];

    /// <summary>The positional arguments, in order.</summary>
    public IReadOnlyList<string> Arguments => arguments;

    public static CommandLine Parse(ReadOnlySpan<string> args, IReadOnlyDictionary<string, bool> options, bool acceptsArguments = false)
    {
        var result = new CommandLine();
        var onlyArguments = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!onlyArguments && arg is "-h" or "--help")
            {
                result.values["help"] = null;
                continue;
            }
            if (acceptsArguments && !onlyArguments && arg == "--")
            {
                onlyArguments = true;
                continue;
            }
            if (onlyArguments || !arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                if (!acceptsArguments)
                    throw new CommandLineException($"unexpected argument '{arg}'.");
                result.arguments.Add(arg);
                continue;
            }

            var name = arg[2..];
            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            if (!options.TryGetValue(name, out var takesValue))
                throw new CommandLineException($"unknown option '--{name}'.");
            if (takesValue && value is null)
            {
                if (i + 1 >= args.Length || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                    throw new CommandLineException($"option '--{name}' needs a value.");
                value = args[++i];
            }
            else if (!takesValue && value is not null)
            {
                throw new CommandLineException($"option '--{name}' takes no value.");
            }
            if (!result.values.TryAdd(name, value))
                throw new CommandLineException($"option '--{name}' is given twice.");
        }
        return result;
    }

    public bool Has(string name) => values.ContainsKey(name);

    public string? Get(string name) => values.GetValueOrDefault(name);

    public string Require(string name) =>
        values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new CommandLineException($"option '--{name}' is required.");
}
