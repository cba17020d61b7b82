using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit;

/// <summary>
/// Returned by <c>services.AddMailing(...)</c>; every feature (<c>AddSmtpSender</c>, <c>AddMaildirSender</c>,
/// <c>AddOutgoingFilter</c>, ...) extends it and returns it, so a host composes only what it needs.
/// </summary>
public interface IMailingBuilder
{
    /// <summary>The service collection the features register into.</summary>
    IServiceCollection Services { get; }
}
