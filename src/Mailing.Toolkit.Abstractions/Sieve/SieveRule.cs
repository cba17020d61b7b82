namespace Mailing.Toolkit.Sieve;

/// <summary>
/// A named filter rule: when <see cref="Condition"/> holds (always, when null), run <see cref="Actions"/> in order.
/// Names are what <see cref="IMailboxFilters"/> finds rules by: 1 to 100 characters, no control characters.
/// </summary>
public sealed class SieveRule
{
    /// <summary>Creates a rule.</summary>
    public SieveRule(string name, SieveTest? condition, params SieveAction[] actions)
    {
        Name = SieveNames.CheckRuleName(name);
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Length == 0 || actions.Any(a => a is null))
            throw new ArgumentException($"Rule '{name}' needs at least one action, and none may be null.", nameof(actions));
        Condition = condition;
        Actions = actions;
    }

    /// <summary>The rule's name.</summary>
    public string Name { get; }

    /// <summary>When the actions run; null for every message.</summary>
    public SieveTest? Condition { get; }

    /// <summary>What happens to a matching message, in order.</summary>
    public IReadOnlyList<SieveAction> Actions { get; }

    internal void Write(SieveWriter writer)
    {
        writer.Comment("Rule: " + Name);
        if (Condition is null)
        {
            foreach (var action in Actions)
                action.Write(writer);
            return;
        }

        writer.Line($"if {Condition.Write(writer)}");
        writer.Line("{");
        writer.Indent();
        foreach (var action in Actions)
            action.Write(writer);
        writer.Outdent();
        writer.Line("}");
    }
}
