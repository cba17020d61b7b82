namespace Mailing.Toolkit.Outbox;

/// <summary>Where a queued message is in its life.</summary>
public enum OutboxState
{
    /// <summary>Waiting to be sent: due at <see cref="OutboxMessage.DueAt"/> (scheduled, or retrying after a transient failure).</summary>
    Queued = 0,

    /// <summary>Leased by a dispatcher that is sending it; if the lease expires, it is sent again.</summary>
    Sending = 1,

    /// <summary>Accepted by the server.</summary>
    Sent = 2,

    /// <summary>Failed permanently, or transiently more times than allowed (the dead-letter state); <see cref="IMailOutbox.RequeueAsync"/> sends it again.</summary>
    Failed = 3,

    /// <summary>The connection failed after the end of the data: the server may have it. Never sent again automatically.</summary>
    MaybeDelivered = 4,

    /// <summary>Cancelled before it was sent, or closed after a failure without being sent again.</summary>
    Cancelled = 5,
}

/// <summary>How a message is queued. Every property is optional.</summary>
public sealed class OutboxEnqueueOptions
{
    /// <summary>Not sent before this time (a scheduled send); null sends as soon as a dispatcher is free.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>
    /// A key that makes the enqueue idempotent: a second enqueue with a key already in the outbox stores nothing and
    /// returns the first row (<see cref="OutboxEnqueueResult.Created"/> false). Up to 200 characters; kept until the row is purged.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Higher goes first among the due messages; default 0.</summary>
    public int Priority { get; init; }

    /// <summary>The key of the keyed <see cref="IMailSender"/> to send through (<c>AddSmtpSender("marketing", ...)</c>); null for the default sender.</summary>
    public string? SenderKey { get; init; }

    /// <summary>An explicit SMTP envelope (for example a null reverse path); null derives it from the headers at send time.</summary>
    public MailEnvelope? Envelope { get; init; }
}

/// <summary>What <see cref="IMailOutbox.EnqueueAsync(MimeKit.MimeMessage, OutboxEnqueueOptions?, CancellationToken)"/> did.</summary>
/// <param name="Id">The row's id.</param>
/// <param name="MessageId">The Message-ID of the queued message, without angle brackets.</param>
/// <param name="Created">False when the idempotency key was already in the outbox and the existing row was returned.</param>
public sealed record OutboxEnqueueResult(long Id, string MessageId, bool Created);

/// <summary>One row of the outbox, without the message itself.</summary>
public sealed record OutboxMessage
{
    /// <summary>The row's id.</summary>
    public required long Id { get; init; }

    /// <summary>The Message-ID, without angle brackets.</summary>
    public required string MessageId { get; init; }

    /// <summary>Where the message is in its life.</summary>
    public required OutboxState State { get; init; }

    /// <summary>The subject, for listings.</summary>
    public string? Subject { get; init; }

    /// <summary>The envelope recipients, comma-separated, for listings.</summary>
    public string? Recipients { get; init; }

    /// <summary>The keyed sender it goes through; null for the default.</summary>
    public string? SenderKey { get; init; }

    /// <summary>Its priority (higher first).</summary>
    public int Priority { get; init; }

    /// <summary>The idempotency key it was queued with.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The size of the stored message in bytes.</summary>
    public int Size { get; init; }

    /// <summary>When it was queued.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it is next due (queued), or when its lease expires (sending).</summary>
    public required DateTimeOffset DueAt { get; init; }

    /// <summary>How many send attempts were started.</summary>
    public int Attempts { get; init; }

    /// <summary>When it was sent, failed for good, or was cancelled.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The last failure: the error type and the server's reply.</summary>
    public string? LastError { get; init; }

    /// <summary>The server's reply to the end of the data once sent (for example <c>2.0.0 Ok: queued as ABC</c>).</summary>
    public string? Response { get; init; }
}

/// <summary>Which rows <see cref="IMailOutbox.ListAsync"/> returns.</summary>
public sealed class OutboxQuery
{
    /// <summary>Only rows in this state; null for every state.</summary>
    public OutboxState? State { get; init; }

    /// <summary>Only rows with an id below this one (keyset paging: pass the last id of the previous page).</summary>
    public long? BeforeId { get; init; }

    /// <summary>At most this many rows, 1 to 1000; default 100.</summary>
    public int Limit { get; init; } = 100;
}

/// <summary>Counts of the outbox's rows and the age of its backlog.</summary>
public sealed record OutboxStatistics
{
    /// <summary>Rows waiting (queued, due or scheduled) or being sent.</summary>
    public long Pending { get; init; }

    /// <summary>Rows due now (queued with a due time that has passed, or with an expired lease).</summary>
    public long Due { get; init; }

    /// <summary>The due time of the oldest due row; null when none is due.</summary>
    public DateTimeOffset? OldestDueAt { get; init; }

    /// <summary>Rows in the dead-letter state.</summary>
    public long Failed { get; init; }

    /// <summary>Rows that may have been delivered and wait for a decision.</summary>
    public long MaybeDelivered { get; init; }
}

/// <summary>A row leased to a dispatcher: the message to send and the token that proves the lease.</summary>
public sealed class OutboxLease
{
    /// <summary>Creates a lease; stores call this.</summary>
    public OutboxLease(long id, Guid token, int attempt, string messageId, string? senderKey, ReadOnlyMemory<byte> message, string? envelope)
    {
        Id = id;
        Token = token;
        Attempt = attempt;
        MessageId = messageId;
        SenderKey = senderKey;
        Message = message;
        Envelope = envelope;
    }

    /// <summary>The row's id.</summary>
    public long Id { get; }

    /// <summary>Identifies this lease: a completion with another token is refused.</summary>
    public Guid Token { get; }

    /// <summary>Which attempt this is, from 1.</summary>
    public int Attempt { get; }

    /// <summary>The Message-ID, without angle brackets.</summary>
    public string MessageId { get; }

    /// <summary>The keyed sender to use; null for the default.</summary>
    public string? SenderKey { get; }

    /// <summary>The stored message, as it was serialized at enqueue.</summary>
    public ReadOnlyMemory<byte> Message { get; }

    /// <summary>The stored envelope in the form <see cref="OutboxEnvelope.Format"/> writes; null to derive it from the headers.</summary>
    public string? Envelope { get; }
}

/// <summary>The outcome of one leased row.</summary>
public sealed record OutboxCompletion
{
    private OutboxCompletion(OutboxState state, DateTimeOffset? retryAt, string? error, string? response)
    {
        State = state;
        RetryAt = retryAt;
        Error = error;
        Response = response;
    }

    /// <summary>The state the row moves to.</summary>
    public OutboxState State { get; }

    /// <summary>When a <see cref="OutboxState.Queued"/> row is due again.</summary>
    public DateTimeOffset? RetryAt { get; }

    /// <summary>The failure, for <see cref="OutboxMessage.LastError"/>.</summary>
    public string? Error { get; }

    /// <summary>The server's reply, for <see cref="OutboxMessage.Response"/>.</summary>
    public string? Response { get; }

    /// <summary>The server accepted the message.</summary>
    public static OutboxCompletion Sent(string? response) => new(OutboxState.Sent, null, null, response);

    /// <summary>A transient failure: queue it again, due at <paramref name="retryAt"/>.</summary>
    public static OutboxCompletion Retry(DateTimeOffset retryAt, string error) => new(OutboxState.Queued, retryAt, error, null);

    /// <summary>A permanent failure, or one transient failure too many: the dead-letter state.</summary>
    public static OutboxCompletion Failed(string error) => new(OutboxState.Failed, null, error, null);

    /// <summary>The connection failed after the end of the data.</summary>
    public static OutboxCompletion MaybeDelivered(string error) => new(OutboxState.MaybeDelivered, null, error, null);
}

/// <summary>The outcome of one leased row, for <see cref="IMailOutboxStore.CompleteAsync(IReadOnlyList{OutboxOutcome}, CancellationToken)"/>.</summary>
/// <param name="Lease">The lease the outcome is recorded under.</param>
/// <param name="Completion">What happened.</param>
public sealed record OutboxOutcome(OutboxLease Lease, OutboxCompletion Completion);
