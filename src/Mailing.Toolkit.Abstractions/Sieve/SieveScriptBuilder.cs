namespace Mailing.Toolkit.Sieve;

/// <summary>
/// Builds a Sieve script (RFC 5228) from rules, a vacation reply and includes of other scripts, in the order they are
/// added, with the <c>require</c> line the script needs. Every value is quoted, so text from users (a subject, a
/// vacation body, a folder) cannot end its string and become script; a one-line value with a line break is refused.
/// </summary>
/// <example>
/// <code>
/// var script = new SieveScriptBuilder()
///     .Add(new SieveRule("invoices", SieveTest.Header("Subject", SieveMatch.Contains, "invoice"), SieveAction.FileInto("Billing", create: true), SieveAction.Stop()))
///     .Vacation(new VacationReply { Subject = "Away until Monday", Body = "I am out of the office." })
///     .Build();
/// </code>
/// </example>
public sealed class SieveScriptBuilder
{
    private readonly List<Action<SieveWriter>> parts = [];

    /// <summary>Adds a rule.</summary>
    public SieveScriptBuilder Add(SieveRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        parts.Add(rule.Write);
        return this;
    }

    /// <summary>Adds an unnamed rule: when <paramref name="condition"/> holds (always, when null), run <paramref name="actions"/>.</summary>
    public SieveScriptBuilder Add(SieveTest? condition, params SieveAction[] actions) => Add(new SieveRule("rule", condition, actions));

    /// <summary>Adds an out-of-office reply to every message that reaches this point of the script.</summary>
    public SieveScriptBuilder Vacation(VacationReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        parts.Add(writer =>
        {
            writer.Comment("Vacation reply");
            reply.Write(writer);
        });
        return this;
    }

    /// <summary>Runs another script of the same account at this point (<c>include :personal</c>, RFC 6609).</summary>
    public SieveScriptBuilder Include(string scriptName)
    {
        SieveNames.CheckScriptName(scriptName, nameof(scriptName));
        parts.Add(writer =>
        {
            writer.Require("include");
            writer.Line($"include :personal {SieveWriter.String(scriptName, "The script name")};");
        });
        return this;
    }

    /// <summary>The script: a <c>require</c> line, then each part in order, with CRLF line ends.</summary>
    /// <exception cref="ArgumentException">A value cannot be written safely (a line break in a subject, a vacation without a body ...).</exception>
    public string Build()
    {
        var writer = new SieveWriter();
        foreach (var part in parts)
            part(writer);
        return writer.ToString();
    }
}
