using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using MailKit;
using MailKit.Security;
using AuthenticationException = MailKit.Security.AuthenticationException;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Sieve.Internal;

/// <summary>
/// A ManageSieve connection (RFC 5804) as a MailKit <see cref="MailService"/>, so the shared connector opens it by the
/// same rules as SMTP, IMAP and POP3 (TLS, certificate validation, no credentials in the clear, OAuth2 refresh). The
/// asynchronous members only: this client is never driven synchronously, and the synchronous ones say so.
/// One command at a time; a failed read or write, a timeout or a cancellation closes the connection, because what the
/// server has seen of the command is then unknown.
/// </summary>
internal sealed class ManageSieveClient(ILogger wireLogger, int maxScriptSize) : MailService
{
    private const string SyncUnsupported = "The ManageSieve client is asynchronous: use the Async methods.";

    private readonly object syncRoot = new();
    private readonly ILogger? trace = wireLogger.IsEnabled(LogLevel.Trace) ? wireLogger : null;
    private Socket? socket;
    private Stream? stream;
    private ManageSieveReader? reader;
    private HashSet<string> mechanisms = new(StringComparer.OrdinalIgnoreCase);
    private bool authenticated;
    private bool authenticating;
    private string host = "";
    private int port;

    /// <summary>The account to act for (SASL PLAIN authorization identity); null for the login's own.</summary>
    public string? AuthorizationIdentity { get; init; }

    public ManageSieveCapabilities Capabilities { get; private set; } = new();

    public override object SyncRoot => syncRoot;

    protected override string Protocol => "sieve";

    public override HashSet<string> AuthenticationMechanisms => mechanisms;

    public override bool IsConnected => stream is not null;

    public override bool IsSecure => stream is SslStream { IsAuthenticated: true };

    public override bool IsEncrypted => stream is SslStream { IsEncrypted: true };

    public override bool IsSigned => stream is SslStream { IsSigned: true };

    public override SslProtocols SslProtocol => (stream as SslStream)?.SslProtocol ?? SslProtocols.None;

    [Obsolete("Superseded by SslCipherSuite, as in SslStream.")]
    public override CipherAlgorithmType? SslCipherAlgorithm => null;

    [Obsolete("Superseded by SslCipherSuite, as in SslStream.")]
    public override int? SslCipherStrength => null;

    public override TlsCipherSuite? SslCipherSuite => (stream as SslStream)?.NegotiatedCipherSuite;

    [Obsolete("Superseded by SslCipherSuite, as in SslStream.")]
    public override HashAlgorithmType? SslHashAlgorithm => null;

    [Obsolete("Superseded by SslCipherSuite, as in SslStream.")]
    public override int? SslHashStrength => null;

    [Obsolete("Superseded by SslCipherSuite, as in SslStream.")]
    public override ExchangeAlgorithmType? SslKeyExchangeAlgorithm => null;

    [Obsolete("Superseded by SslCipherSuite, as in SslStream.")]
    public override int? SslKeyExchangeStrength => null;

    public override bool IsAuthenticated => authenticated;

    public override int Timeout { get; set; } = 30_000;

    public string Server => $"{host}:{port}";

    public override async Task ConnectAsync(string host, int port = 0, SecureSocketOptions options = SecureSocketOptions.Auto, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (IsConnected)
            throw new InvalidOperationException("The ManageSieve client is already connected.");
        this.host = host;
        this.port = port == 0 ? 4190 : port;
        var security = options == SecureSocketOptions.Auto ? SecureSocketOptions.StartTls : options;
        using var timeout = Deadline(cancellationToken);
        try
        {
            if (ProxyClient is { } proxy)
            {
                stream = await proxy.ConnectAsync(host, this.port, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(host, this.port, timeout.Token).ConfigureAwait(false);
                stream = new NetworkStream(socket, ownsSocket: true);
            }

            ManageSieveLog.Connect(trace, Server);
            if (security == SecureSocketOptions.SslOnConnect)
                await StartTlsAsync(timeout.Token).ConfigureAwait(false);
            reader = NewReader();
            Capabilities = await ReadCapabilitiesAsync(greeting: true, timeout.Token).ConfigureAwait(false);
            if (security is SecureSocketOptions.StartTls or SecureSocketOptions.StartTlsWhenAvailable && !IsSecure)
            {
                if (Capabilities.StartTls)
                {
                    var response = await SendAsync(new ManageSieveCommand("STARTTLS"), null, timeout.Token).ConfigureAwait(false);
                    if (!response.IsOk)
                        throw Refused("STARTTLS", response);
                    await StartTlsAsync(timeout.Token).ConfigureAwait(false);
                    reader = NewReader();
                    // RFC 5804 2.2: after TLS the server sends its capabilities again (SASL mechanisms may change).
                    Capabilities = await ReadCapabilitiesAsync(greeting: false, timeout.Token).ConfigureAwait(false);
                }
                else if (security == SecureSocketOptions.StartTls)
                {
                    throw new ManageSieveException($"The ManageSieve server {Server} does not offer STARTTLS, which is required (Security=StartTls or Auto); nothing was sent to it.");
                }
            }
        }
        catch (Exception ex)
        {
            Close();
            throw Translate(ex, "connect", timeout, cancellationToken);
        }

        mechanisms = new HashSet<string>(Capabilities.SaslMechanisms, StringComparer.OrdinalIgnoreCase);
        OnConnected(host, this.port, security);
    }

    public override async Task AuthenticateAsync(Encoding encoding, ICredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        ArgumentNullException.ThrowIfNull(credentials);
        var credential = credentials.GetCredential(new Uri($"sieve://{host}:{port}"), "DEFAULT")
            ?? throw new ArgumentException("The credentials hold none for this server.", nameof(credentials));
        if (AuthorizationIdentity is not null)
        {
            // Only PLAIN carries an authorization identity among the mechanisms servers commonly offer.
            await AuthenticateAsync(new SaslMechanismPlain(encoding, credential) { AuthorizationId = AuthorizationIdentity }, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var name in (string[])["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"])
        {
            if (mechanisms.Contains(name) && SaslMechanism.IsSupported(name))
            {
                await AuthenticateAsync(SaslMechanism.Create(name, encoding, credential) ?? throw new AuthenticationException($"SASL mechanism {name} is not available."), cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        throw new AuthenticationException($"The ManageSieve server {Server} offers no login mechanism this client supports (it offers: {string.Join(' ', mechanisms)}).");
    }

    public override async Task AuthenticateAsync(SaslMechanism mechanism, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        if (!IsConnected)
            throw new InvalidOperationException("The ManageSieve client is not connected.");
        if (authenticated)
            throw new InvalidOperationException("The ManageSieve client is already logged in.");
        using var timeout = Deadline(cancellationToken);
        ManageSieveResponse response;
        // MailKit's OAUTHBEARER needs the server's URI, which only MailKit's own clients can give it: the one message
        // it sends (RFC 7628 3.1) is written here instead.
        var oauthBearer = mechanism is SaslMechanismOAuthBearer;
        authenticating = true;
        try
        {
            var command = new ManageSieveCommand("AUTHENTICATE").Quoted(mechanism.MechanismName, secret: false);
            if (oauthBearer)
                command.Quoted(OAuthBearerResponse(mechanism.Credentials), secret: true);
            else if (mechanism.SupportsInitialResponse)
                command.Quoted(await mechanism.ChallengeAsync(null, timeout.Token).ConfigureAwait(false), secret: true);
            reader!.StartResponse();
            await WriteAsync(command, timeout.Token).ConfigureAwait(false);
            while (true)
            {
                var line = await ReadLineAsync(timeout.Token).ConfigureAwait(false);
                if (ManageSieveResponse.TryParse(line) is { } final)
                {
                    response = final;
                    break;
                }

                // A challenge: one string, answered with one string (RFC 5804 2.1).
                var challenge = line.Count == 1 && line[0].Kind == SieveTokenKind.String ? line[0].Value : throw new ManageSieveException($"The ManageSieve server {Server} sent a malformed SASL challenge.");
                string answer;
                try
                {
                    answer = oauthBearer || mechanism.IsAuthenticated ? "*" : await mechanism.ChallengeAsync(challenge, timeout.Token).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    // The mechanism has said all it has, so this is an error report (OAUTHBEARER's JSON, RFC 7628):
                    // cancel the exchange ("*", RFC 5804 2.1) and let the server answer NO.
                    answer = "*";
                }
                catch (SaslException ex)
                {
                    throw new AuthenticationException($"The ManageSieve server {Server} sent a {mechanism.MechanismName} challenge that does not verify: {ex.Message}", ex);
                }

                await WriteRawAsync($"\"{answer}\"\r\n", answer == "*" ? "\"*\"" : "\"***\"", timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Close();
            throw Translate(ex, "AUTHENTICATE", timeout, cancellationToken);
        }
        finally
        {
            authenticating = false;
        }

        if (response.Status == "BYE")
        {
            Close();
            throw Refused("AUTHENTICATE", response);
        }

        if (!response.IsOk)
            throw new AuthenticationException($"The ManageSieve server {Server} refused the login ({mechanism.MechanismName}): {response.Text ?? response.Code ?? "NO"}");
        try
        {
            // SCRAM's last step checks the server's signature: a server that cannot prove it knows the password is refused.
            if (response.Code == "SASL" && response.CodeArgument is { } last)
                await mechanism.ChallengeAsync(last, cancellationToken).ConfigureAwait(false);
        }
        catch (SaslException ex)
        {
            Close();
            throw new AuthenticationException($"The ManageSieve server {Server} accepted the login but failed the {mechanism.MechanismName} check of its own identity: {ex.Message}", ex);
        }

        if (!oauthBearer && !mechanism.IsAuthenticated)
        {
            Close();
            throw new AuthenticationException($"The ManageSieve server {Server} said OK before the {mechanism.MechanismName} exchange was complete; the session was closed.");
        }

        authenticated = true;
        OnAuthenticated(response.Text ?? "");
    }

    /// <summary>Sends a command and reads up to its final response; <paramref name="onData"/> sees each data line before it.</summary>
    public async Task<ManageSieveResponse> SendAsync(ManageSieveCommand command, Action<List<SieveToken>>? onData, CancellationToken cancellationToken)
    {
        if (!IsConnected)
            throw new ManageSieveException($"The ManageSieve connection to {Server} is closed.");
        using var timeout = Deadline(cancellationToken);
        ManageSieveResponse response;
        try
        {
            reader!.StartResponse();
            await WriteAsync(command, timeout.Token).ConfigureAwait(false);
            while (true)
            {
                var line = await ReadLineAsync(timeout.Token).ConfigureAwait(false);
                if (ManageSieveResponse.TryParse(line) is { } final)
                {
                    response = final;
                    break;
                }

                onData?.Invoke(line);
            }
        }
        catch (Exception ex)
        {
            Close();
            throw Translate(ex, command.Name, timeout, cancellationToken);
        }

        if (response.Status == "BYE")
        {
            Close();
            throw Refused(command.Name, response);
        }

        return response;
    }

    /// <summary>A <see cref="ManageSieveException"/> for a refused command, with the server's code and text.</summary>
    public ManageSieveException Refused(string what, ManageSieveResponse response)
    {
        var code = response.Code is null ? "" : $" [{response.Code}]";
        return new ManageSieveException($"The ManageSieve server {Server} refused {what}{code}: {response.Text ?? response.Status}", response.Code, response.Text);
    }

    public override async Task DisconnectAsync(bool quit, CancellationToken cancellationToken = default)
    {
        if (!IsConnected)
            return;
        if (quit)
        {
            try
            {
                await SendAsync(new ManageSieveCommand("LOGOUT"), null, cancellationToken).ConfigureAwait(false);
            }
            catch (ManageSieveException)
            {
                // Logging out is a courtesy: the connection closes either way.
            }
        }

        Close();
        OnDisconnected(host, port, SecureSocketOptions.Auto, requested: true);
    }

    public override async Task NoOpAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(new ManageSieveCommand("NOOP"), null, cancellationToken).ConfigureAwait(false);
        if (!response.IsOk)
            throw Refused("NOOP", response);
    }

    public override void Connect(string host, int port = 0, SecureSocketOptions options = SecureSocketOptions.Auto, CancellationToken cancellationToken = default) => throw new NotSupportedException(SyncUnsupported);

    public override void Connect(Socket socket, string host, int port = 0, SecureSocketOptions options = SecureSocketOptions.Auto, CancellationToken cancellationToken = default) => throw new NotSupportedException(SyncUnsupported);

    public override Task ConnectAsync(Socket socket, string host, int port = 0, SecureSocketOptions options = SecureSocketOptions.Auto, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Connect the ManageSieve client by host and port.");

    public override void Connect(Stream stream, string host, int port = 0, SecureSocketOptions options = SecureSocketOptions.Auto, CancellationToken cancellationToken = default) => throw new NotSupportedException(SyncUnsupported);

    public override Task ConnectAsync(Stream stream, string host, int port = 0, SecureSocketOptions options = SecureSocketOptions.Auto, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Connect the ManageSieve client by host and port.");

    public override void Authenticate(Encoding encoding, ICredentials credentials, CancellationToken cancellationToken = default) => throw new NotSupportedException(SyncUnsupported);

    public override void Authenticate(SaslMechanism mechanism, CancellationToken cancellationToken = default) => throw new NotSupportedException(SyncUnsupported);

    public override void Disconnect(bool quit, CancellationToken cancellationToken = default) => throw new NotSupportedException(SyncUnsupported);

    public override void NoOp(CancellationToken cancellationToken = default) => throw new NotSupportedException(SyncUnsupported);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Close();
        base.Dispose(disposing);
    }

    private CancellationTokenSource Deadline(CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        return deadline;
    }

    /// <summary>The OAUTHBEARER client response: <c>n,a=user,^Ahost=...^Aport=...^Aauth=Bearer token^A^A</c>, base64.</summary>
    private string OAuthBearerResponse(NetworkCredential credential)
    {
        // RFC 5801 saslname: "," and "=" in the authorization identity are escaped as =2C and =3D.
        var user = credential.UserName.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);
        var message = $"n,a={user},\u0001host={host}\u0001port={port.ToString(System.Globalization.CultureInfo.InvariantCulture)}\u0001auth=Bearer {credential.Password}\u0001\u0001";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(message));
    }

    private ManageSieveReader NewReader() => new(stream!, ManageSieveReader.DefaultMaxLineLength, maxScriptSize);

    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        var tls = new SslStream(stream!, leaveInnerStreamOpen: false);
        stream = tls;
        await tls.AuthenticateAsClientAsync(GetSslClientAuthenticationOptions(host, ValidateServerCertificate), cancellationToken).ConfigureAwait(false);
    }

    private bool ValidateServerCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) =>
        ServerCertificateValidationCallback is { } callback ? callback(sender, certificate, chain, errors) : errors == SslPolicyErrors.None;

    private async Task<ManageSieveCapabilities> ReadCapabilitiesAsync(bool greeting, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (ManageSieveResponse.TryParse(line) is { } final)
            {
                if (!final.IsOk)
                    throw Refused(greeting ? "the session" : "the capability listing", final);
                break;
            }

            if (line.Count == 0 || line[0].Kind != SieveTokenKind.String)
            {
                var sent = string.Join(' ', line.Select(t => t.Value));
                throw new ManageSieveException($"{Server} did not answer as a ManageSieve server (it sent '{Shorten(sent)}'): check the host and port (ManageSieve listens on 4190).");
            }

            values[line[0].Value] = line.Count > 1 && line[1].Kind == SieveTokenKind.String ? line[1].Value : "";
        }

        static HashSet<string> Words(Dictionary<string, string> values, string key) =>
            new(values.GetValueOrDefault(key, "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);

        return new ManageSieveCapabilities
        {
            Implementation = values.GetValueOrDefault("IMPLEMENTATION"),
            SieveExtensions = Words(values, "SIEVE"),
            SaslMechanisms = Words(values, "SASL"),
            StartTls = values.ContainsKey("STARTTLS"),
            MaxRedirects = int.TryParse(values.GetValueOrDefault("MAXREDIRECTS"), System.Globalization.CultureInfo.InvariantCulture, out var redirects) ? redirects : null,
            NotifyMethods = Words(values, "NOTIFY"),
            Version = values.GetValueOrDefault("VERSION"),
        };
    }

    private async Task WriteAsync(ManageSieveCommand command, CancellationToken cancellationToken)
    {
        ManageSieveLog.Client(trace, command.LogText);
        await stream!.WriteAsync(command.ToBytes(), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteRawAsync(string line, string logText, CancellationToken cancellationToken)
    {
        ManageSieveLog.Client(trace, logText);
        await stream!.WriteAsync(Encoding.ASCII.GetBytes(line), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<SieveToken>> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = await reader!.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (trace is not null && authenticating && ManageSieveResponse.TryParse(line) is null)
            ManageSieveLog.Server(trace, "\"***\""); // a SASL challenge (SCRAM's nonce and salt would let a reader test guesses offline)
        else if (trace is not null)
            ManageSieveLog.Server(trace, string.Join(' ', line.Select(t => t.IsLiteral ? $"<literal: {t.Value.Length} characters>" : t.Kind == SieveTokenKind.String ? $"\"{t.Value}\"" : t.Value)));
        return line;
    }

    /// <summary>What a failure inside a command becomes: the caller's cancellation stays one; our deadline is a timeout.</summary>
    private Exception Translate(Exception error, string what, CancellationTokenSource deadline, CancellationToken cancellationToken) => error switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => error,
        OperationCanceledException when deadline.IsCancellationRequested => new ManageSieveException($"The ManageSieve server {Server} did not answer {what} within {Timeout} ms; the connection was closed.", new TimeoutException(error.Message, error)),
        ManageSieveException or AuthenticationException => error,
        _ => new ManageSieveException($"The ManageSieve connection to {Server} failed during {what}: {error.Message}", error),
    };

    private void Close()
    {
        reader = null;
        stream?.Dispose();
        stream = null;
        socket = null;
        authenticated = false;
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "..." : text;
}

internal static partial class ManageSieveLog
{
    [LoggerMessage(EventId = 6010, Level = LogLevel.Trace, Message = "Connected to {Server}")]
    private static partial void ConnectCore(ILogger logger, string server);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Trace, Message = "C: {Line}")]
    private static partial void ClientCore(ILogger logger, string line);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Trace, Message = "S: {Line}")]
    private static partial void ServerCore(ILogger logger, string line);

    public static void Connect(ILogger? logger, string server)
    {
        if (logger is not null)
            ConnectCore(logger, server);
    }

    public static void Client(ILogger? logger, string line)
    {
        if (logger is not null)
            ClientCore(logger, line);
    }

    public static void Server(ILogger? logger, string line)
    {
        if (logger is not null)
            ServerCore(logger, line);
    }
}

internal static partial class ManageSieveLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Warning, Message = "DangerousAcceptAnyServerCertificate is on for the ManageSieve server {Server}: its certificate is not checked (development only)")]
    public static partial void AcceptsAnyCertificate(ILogger logger, string server);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Accepting the invalid certificate of ManageSieve server {Server} ({Errors}, subject {Subject}) because DangerousAcceptAnyServerCertificate is on")]
    public static partial void AcceptingInvalidCertificate(ILogger logger, string server, string errors, string? subject);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "The ManageSieve server {Server} rejected the access token; trying once more with a fresh one")]
    public static partial void TokenRejected(ILogger logger, string server);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "Connected to ManageSieve server {Server} (TLS {Secure}, {Protocol})")]
    public static partial void Connected(ILogger logger, string server, bool secure, string protocol);
}
