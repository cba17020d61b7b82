namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Runs a pass of the inbound pipeline on demand: from a scheduled job, a command-line tool, or a test. The hosted
/// service uses the same passes; the two never overlap on one mailbox.
/// </summary>
public interface IInboundMailProcessor
{
    /// <summary>Receives what is in every mailbox now, handles it, and returns when every message of the pass is done.</summary>
    /// <param name="cancellationToken">Stops taking new messages; the messages already taken are finished.</param>
    /// <returns>What happened to the messages of the pass.</returns>
    Task<InboundPassResult> RunPassAsync(CancellationToken cancellationToken = default);
}

/// <summary>The outcome of one pass over the mailboxes.</summary>
/// <param name="Received">Messages taken from the mailboxes.</param>
/// <param name="Handled">Messages handled and acknowledged with their route's disposition.</param>
/// <param name="Unrouted">Messages no route matched, acknowledged with <see cref="InboundProcessingOptions.UnroutedFolder"/> or marked seen.</param>
/// <param name="Quarantined">Messages that failed every attempt, or could not be parsed, and were moved to the quarantine folder.</param>
/// <param name="Deferred">Messages left in the mailbox for the next pass (shutdown, an acknowledgement or quarantine that did not get through).</param>
public sealed record InboundPassResult(int Received, int Handled, int Unrouted, int Quarantined, int Deferred);
