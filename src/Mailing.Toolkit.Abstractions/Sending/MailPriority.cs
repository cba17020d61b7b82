namespace Mailing.Toolkit;

/// <summary>How urgent a message is, written as the <c>Priority</c>, <c>X-Priority</c> and <c>Importance</c> headers.</summary>
public enum MailPriority
{
    /// <summary>No priority headers are written.</summary>
    Normal = 0,

    /// <summary>Non-urgent, low importance.</summary>
    Low = 1,

    /// <summary>Urgent, high importance.</summary>
    High = 2,
}
