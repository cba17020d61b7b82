namespace Mailing.Toolkit;

/// <summary>The stores a database package (<c>UseSqlite</c>, <c>UsePostgreSql</c>) backs; the others keep their defaults.</summary>
[Flags]
public enum MailingStores
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>The outbox (<see cref="Outbox.IMailOutbox"/>).</summary>
    Outbox = 1,

    /// <summary>The auto-reply history and per-sender throttle (<see cref="AutoResponding.IAutoReplyHistory"/>).</summary>
    AutoReplyHistory = 2,

    /// <summary>Receiver positions (<see cref="Receiving.IMailboxStateStore"/>).</summary>
    MailboxState = 4,

    /// <summary>The suppression list (<see cref="Integrations.ISuppressionList"/>).</summary>
    SuppressionList = 8,

    /// <summary>Inbound de-duplication (<see cref="Receiving.IInboundDeduplicationStore"/>).</summary>
    InboundDeduplication = 16,

    /// <summary>Every store.</summary>
    All = Outbox | AutoReplyHistory | MailboxState | SuppressionList | InboundDeduplication,
}
