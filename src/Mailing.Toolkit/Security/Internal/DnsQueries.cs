namespace Mailing.Toolkit.Security.Internal;

/// <summary>DNS queries for the checks that hold any <see cref="IDnsResolver"/> to its contract.</summary>
internal static class DnsQueries
{
    /// <summary>
    /// Asks <paramref name="resolver"/>, turning an exception (other than the caller's cancellation) or a missing answer
    /// into a temporary failure: a resolver of the application's own that throws gives <c>temperror</c>, as a DNS
    /// failure does, instead of breaking the check.
    /// </summary>
    public static async ValueTask<DnsAnswer> QuerySafelyAsync(this IDnsResolver resolver, string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        try
        {
            return await resolver.QueryAsync(name, type, cancellationToken).ConfigureAwait(false) ?? DnsAnswer.Failed("the resolver returned no answer");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The resolver's contract is to return failures; one that throws still must not break the check.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return DnsAnswer.Failed($"the resolver threw {e.GetType().Name}");
        }
    }
}
