using System.Reflection;

namespace Mailing.Toolkit.Cli;

/// <summary>
/// Dispatches <c>mailing &lt;command&gt; [options]</c> to a command. Tests call <see cref="RunAsync"/> in-process
/// with their own writers; a command is one entry in <see cref="Commands"/>.
/// </summary>
internal static class MailingCli
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    /// <summary>The commands by name. A new command (<c>parse</c>, <c>send</c>, <c>check</c>) is one more entry.</summary>
    public static IReadOnlyDictionary<string, ICliCommand> Commands { get; } =
        new Dictionary<string, ICliCommand>(StringComparer.Ordinal)
        {
            ["parse"] = new ParseCommand(),
            ["render"] = new RenderCommand(),
            ["outbox"] = new OutboxCommand(),
            ["check"] = new CheckCommand(),
        };

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            if (args.Length > 1 && Commands.TryGetValue(args[1], out var helped))
            {
                await stdout.WriteLineAsync(helped.Usage).ConfigureAwait(false);
                return Success;
            }
            await (args.Length == 0 ? stderr : stdout).WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? UsageError : Success;
        }
        if (args[0] == "--version")
        {
            var version = typeof(MailingCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            await stdout.WriteLineAsync(version).ConfigureAwait(false);
            return Success;
        }
        if (!Commands.TryGetValue(args[0], out var command))
        {
            await stderr.WriteLineAsync($"error: unknown command '{args[0]}'.\n\n{Usage}").ConfigureAwait(false);
            return UsageError;
        }

        CommandLine commandLine;
        try
        {
            commandLine = CommandLine.Parse(args.AsSpan(1), command.Options, command.AcceptsArguments);
        }
        catch (CommandLineException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}\n\n{command.Usage}").ConfigureAwait(false);
            return UsageError;
        }
        if (commandLine.Has("help"))
        {
            await stdout.WriteLineAsync(command.Usage).ConfigureAwait(false);
            return Success;
        }
        try
        {
            return await command.RunAsync(commandLine, stdout, stderr, cancellationToken).ConfigureAwait(false);
        }
        catch (CommandLineException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}\n\n{command.Usage}").ConfigureAwait(false);
            return UsageError;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("cancelled").ConfigureAwait(false);
            return Failure;
        }
    }

    private static string Usage =>
        "Usage: mailing <command> [options]\n\nCommands:\n"
        + string.Join("\n", Commands.Select(c => $"  {c.Key,-10} {c.Value.Summary}"))
        + "\n\nRun 'mailing <command> --help' for the options of a command.";
}

/// <summary>One command of the <c>mailing</c> tool.</summary>
internal interface ICliCommand
{
    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>The full help text.</summary>
    string Usage { get; }

    /// <summary>The options the command accepts: name to whether it takes a value.</summary>
    IReadOnlyDictionary<string, bool> Options { get; }

    /// <summary>Whether the command takes positional arguments (file names).</summary>
    bool AcceptsArguments => false;

    Task<int> RunAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken);
}
