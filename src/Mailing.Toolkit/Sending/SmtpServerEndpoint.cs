using MailKit.Security;

namespace Mailing.Toolkit.Sending;

/// <summary>One SMTP server a sender can connect to.</summary>
public sealed class SmtpServerEndpoint
{
    /// <summary>The host name or IP address.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The port; 0 picks 465 for <see cref="SecureSocketOptions.SslOnConnect"/> and 587 otherwise.</summary>
    public int Port { get; set; }

    /// <summary>
    /// How the connection is secured. <see cref="SecureSocketOptions.Auto"/> (the default) means
    /// SSL-on-connect for port 465 and <b>required</b> STARTTLS for every other port, unlike MailKit's
    /// Auto, which falls back to plaintext. Plaintext needs <see cref="SecureSocketOptions.None"/>, set explicitly.
    /// </summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    internal int EffectivePort => Port != 0 ? Port : Security == SecureSocketOptions.SslOnConnect ? 465 : 587;

    internal SecureSocketOptions EffectiveSecurity => Security == SecureSocketOptions.Auto
        ? EffectivePort == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls
        : Security;

    /// <summary><c>host:port</c>.</summary>
    public override string ToString() => $"{Host}:{EffectivePort}";
}
