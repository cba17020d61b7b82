using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Security;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Seals forwarded mail on MimeKit's <see cref="ArcSigner"/>: the ARC-Authentication-Results come from our
/// <see cref="MailAuthenticationResults"/> (written by <see cref="AuthenticationResultsHeader"/>), <c>cv=</c> from their
/// ARC result, <c>t=</c> from the container's <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// <para>Chain rules (RFC 8617 section 5.1): a message whose newest ARC-Seal says <c>cv=fail</c> gets no further set
/// (step 1: the chain ended there, and whatever this host adds cannot revive it); a failed chain that nobody has marked
/// yet is sealed once with <c>cv=fail</c>, which ends it for every later hop; 50 sets is the most a chain may have
/// (section 4.2.1), so a message that has them is forwarded as it is.</para>
/// <para>A <c>cv=fail</c> seal covers only its own set (section 5.1.2: "as if this newest ARC Set was the only set
/// present"). MimeKit's signer covers every set whatever the cv, so its ARC-Seal signature is replaced by one over the
/// new set alone; the ARC signing suite's two failing-chain cases check the result.</para>
/// </remarks>
internal sealed class ArcSealer : IArcSealer
{
    /// <summary>The most ARC sets a chain may have (RFC 8617 section 4.2.1).</summary>
    public const int MaxInstances = 50;

    /// <summary>
    /// The format every transport writes with: CRLF, Bcc and Resent-Bcc hidden, no SMTPUTF8 re-encoding of headers,
    /// as for DKIM signing, so the sealed bytes are the sent bytes.
    /// </summary>
    private static readonly FormatOptions WireFormat = CreateWireFormat();

    private readonly ArcKeyRing ring;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;

    public ArcSealer(IOptions<ArcSealingOptions> options, ArcKeyRingHolder holder, TimeProvider timeProvider, ILogger logger)
    {
        // Reading Value runs the validator, which loads the keys (once) when the host did not start it already.
        _ = options.Value;
        ring = holder.Ring ?? throw new InvalidOperationException("The ARC keys were not loaded: the Mailing:Arc options were not validated.");
        this.timeProvider = timeProvider;
        this.logger = logger;
        ArcSealingLog.Loaded(logger, ring.Keys.Count, string.Join(", ", ring.Keys.Select(k => $"{k.Selector}._domainkey.{k.Domain}")));
    }

    internal ArcSealer(ArcKeyRing ring, TimeProvider timeProvider, ILogger logger)
    {
        this.ring = ring;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    public ArcSealResult Seal(MimeMessage message, MailAuthenticationResults results, string? sealingDomain = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(results);
        var key = ring.For(sealingDomain) ?? throw new ArgumentException(
            $"No ARC key for domain '{sealingDomain}' in Mailing:Arc:Keys (configured: {string.Join(", ", ring.Keys.Select(k => k.Domain))}).", nameof(sealingDomain));

        var text = AuthenticationResultsHeader.Format(WithServId(results, ring.AuthServId), "; ", comments: true);
        if (!AuthenticationResults.TryParse(Encoding.UTF8.GetBytes(text), out var aar))
            throw new InvalidOperationException("The authentication results could not be written as an RFC 8601 header for the ARC-Authentication-Results.");
        return Seal(message, aar, results.Arc.Status, key, ring.Headers.For(message));
    }

    /// <summary>
    /// Seals with <paramref name="aar"/> as the ARC-Authentication-Results payload and <paramref name="reported"/> as
    /// the chain status found on arrival, signing <paramref name="fields"/> in the ARC-Message-Signature.
    /// </summary>
    internal ArcSealResult Seal(MimeMessage message, AuthenticationResults aar, AuthenticationStatus reported, ArcKey key, IList<string> fields)
    {
        var messageId = message.MessageId ?? string.Empty;
        var instances = ArcChainVerifier.CountInstances(message);
        if (instances > 0 && NewestSealSaysFail(message, instances))
        {
            var reason = $"its newest ARC-Seal (i={instances}) already says cv=fail: the chain ended there, and RFC 8617 section 5.1 adds no set to it";
            ArcSealingLog.NotSealed(logger, messageId, reason);
            return new ArcSealResult(false, instances, AuthenticationStatus.Fail, reason);
        }

        if (instances >= MaxInstances)
        {
            var reason = $"it already has {instances} ARC sets, and RFC 8617 allows at most {MaxInstances}";
            ArcSealingLog.NotSealed(logger, messageId, reason);
            return new ArcSealResult(false, instances, reported == AuthenticationStatus.Pass ? AuthenticationStatus.Pass : AuthenticationStatus.Fail, reason);
        }

        var cv = ChainValidation(instances, reported);
        SetArcResult(aar, cv, instances);

        // What a transport would do to the message, done before sealing so the sealed bytes are the sent bytes (and a
        // DKIM signing filter afterwards finds nothing to re-encode).
        message.Prepare(EncodingConstraint.SevenBit);
        var before = message.Headers.Count;
        try
        {
            new ResultsArcSigner(key, aar, timeProvider).Sign(WireFormat, message, fields);
        }
        catch (FormatException e)
        {
            // MimeKit reads every ARC header before it adds a set; a set it cannot read (no i=, a duplicate) stops it.
            var reason = $"its ARC headers are malformed ({e.Message}), so no set can be added after them";
            ArcSealingLog.Malformed(logger, messageId, reason);
            return new ArcSealResult(false, instances, AuthenticationStatus.Fail, reason);
        }

        if (message.Headers.Count != before + 3)
        {
            var reason = "an ARC-Seal below the newest has a cv= other than none (i=1) or pass, so the chain cannot be extended";
            ArcSealingLog.Malformed(logger, messageId, reason);
            return new ArcSealResult(false, instances, AuthenticationStatus.Fail, reason);
        }

        if (cv == AuthenticationStatus.Fail)
            ResealNewSetOnly(message, key);

        ArcSealingLog.Sealed(logger, messageId, instances + 1, AuthenticationResultsHeader.Lower(cv), key.Domain, key.Selector);
        return new ArcSealResult(true, instances + 1, cv);
    }

    private static AuthenticationStatus ChainValidation(int instances, AuthenticationStatus reported)
    {
        if (instances == 0)
        {
            if (reported is AuthenticationStatus.Pass or AuthenticationStatus.Fail)
                throw new ArgumentException($"The results say arc={AuthenticationResultsHeader.Lower(reported)}, but the message carries no ARC set: they are not the results of this message. Authenticate the message as it is before sealing it.");
            return AuthenticationStatus.None;
        }

        return reported switch
        {
            AuthenticationStatus.Pass => AuthenticationStatus.Pass,
            AuthenticationStatus.Fail => AuthenticationStatus.Fail,
            AuthenticationStatus.None => throw new ArgumentException(
                $"The results say arc=none, but the message carries {instances} ARC set(s): they are not the results of this message. Authenticate the message as it is before sealing it."),
            _ => throw new ArgumentException(
                $"The results say arc={AuthenticationResultsHeader.Lower(reported)}: the chain of {instances} ARC set(s) could not be checked, and a seal must say pass or fail. Authenticate the message again before forwarding it."),
        };
    }

    /// <summary>MimeKit takes <c>cv=</c> from the AAR's <c>arc</c> result once a chain exists: make sure it says what we decided.</summary>
    private static void SetArcResult(AuthenticationResults aar, AuthenticationStatus cv, int instances)
    {
        if (instances == 0)
            return;
        var wanted = AuthenticationResultsHeader.Lower(cv);
        var arc = aar.Results.FirstOrDefault(r => r.Method.Equals("arc", StringComparison.OrdinalIgnoreCase));
        if (arc is null)
            aar.Results.Add(new AuthenticationMethodResult("arc", wanted));
        else if (!string.Equals(arc.Result, wanted, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The authentication results say arc={arc.Result}, but the chain status to seal is {wanted}.", nameof(aar));
    }

    private static bool NewestSealSaysFail(MimeMessage message, int instances)
    {
        foreach (var header in message.Headers)
        {
            if (header.Id == HeaderId.ArcSeal && ArcChainVerifier.ArcInstance(header) == instances
                && DkimTags.Parse(header.Value) is { } tags && tags.TryGetValue("cv", out var cv))
            {
                return cv.Equals("fail", StringComparison.OrdinalIgnoreCase);
            }
        }

        return false;
    }

    /// <summary>
    /// Replaces the signature of the ARC-Seal MimeKit just added (at the top, above its ARC-Message-Signature and
    /// ARC-Authentication-Results) by one over the new set alone, relaxed canonicalization, as RFC 8617 section 5.1.2
    /// asks of a <c>cv=fail</c> seal.
    /// </summary>
    private static void ResealNewSetOnly(MimeMessage message, ArcKey key)
    {
        var seal = message.Headers[0];
        var ams = message.Headers[1];
        var aar = message.Headers[2];
        if (seal.Id != HeaderId.ArcSeal || ams.Id != HeaderId.ArcMessageSignature || aar.Id != HeaderId.ArcAuthenticationResults)
            throw new InvalidOperationException("MimeKit did not add the ARC set at the top of the message.");

        var value = seal.Value;
        var b = SignatureTagStart(value);
        if (b < 0 || value.IndexOf(';', b) >= 0)
            throw new InvalidOperationException("MimeKit's ARC-Seal does not end with its b= tag.");
        var unsigned = value[..(b + 2)];

        using var data = new MemoryStream();
        WriteRelaxed(data, aar.Field, aar.RawValue, last: false);
        WriteRelaxed(data, ams.Field, ams.RawValue, last: false);
        WriteRelaxed(data, seal.Field, Encoding.ASCII.GetBytes(unsigned), last: true);

        var signer = SignerUtilities.GetSigner("SHA-256withRSA");
        signer.Init(true, key.PrivateKey);
        signer.BlockUpdate(data.GetBuffer(), 0, (int)data.Length);
        message.Headers[0] = new Header(HeaderId.ArcSeal, unsigned + Convert.ToBase64String(signer.GenerateSignature()));
    }

    /// <summary>Where the <c>b=</c> tag starts: at the start of the value or after a semicolon and whitespace; -1 when there is none.</summary>
    private static int SignatureTagStart(string value)
    {
        for (var start = 0; start < value.Length; start++)
        {
            if (start > 0 && value[start - 1] != ';')
                continue;
            var i = start;
            while (i < value.Length && char.IsWhiteSpace(value[i]))
                i++;
            if (i + 1 < value.Length && value[i] == 'b' && value[i + 1] == '=')
                return i;
        }

        return -1;
    }

    /// <summary>
    /// The relaxed header canonicalization of RFC 6376 section 3.4.2: lower-case name, no folding, runs of spaces and
    /// tabs as one space, none at either end of the value; CRLF after every field but the seal being signed.
    /// </summary>
    private static void WriteRelaxed(MemoryStream output, string field, byte[] rawValue, bool last)
    {
        foreach (var c in field.Trim())
            output.WriteByte((byte)char.ToLowerInvariant(c));
        output.WriteByte((byte)':');

        var pendingSpace = false;
        var started = false;
        foreach (var c in rawValue)
        {
            if (c is (byte)'\r' or (byte)'\n')
                continue;
            if (c is (byte)' ' or (byte)'\t')
            {
                pendingSpace = started;
                continue;
            }

            if (pendingSpace)
                output.WriteByte((byte)' ');
            pendingSpace = false;
            started = true;
            output.WriteByte(c);
        }

        if (!last)
        {
            output.WriteByte((byte)'\r');
            output.WriteByte((byte)'\n');
        }
    }

    private static MailAuthenticationResults WithServId(MailAuthenticationResults results, string? servId) =>
        servId is null ? results : new MailAuthenticationResults
        {
            AuthServId = servId,
            Spf = results.Spf,
            Dkim = results.Dkim,
            Arc = results.Arc,
            Dmarc = results.Dmarc,
            FromTrustedHeader = results.FromTrustedHeader,
        };

    private static FormatOptions CreateWireFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = false;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        return format;
    }

    /// <summary>MimeKit's signer with the AAR supplied and <c>t=</c> from the <see cref="TimeProvider"/>; one per seal.</summary>
    private sealed class ResultsArcSigner : ArcSigner
    {
        private readonly AuthenticationResults aar;
        private readonly TimeProvider timeProvider;

        public ResultsArcSigner(ArcKey key, AuthenticationResults aar, TimeProvider timeProvider)
            : base(key.PrivateKey, key.Domain, key.Selector, DkimSignatureAlgorithm.RsaSha256)
        {
            this.aar = aar;
            this.timeProvider = timeProvider;
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        }

        protected override AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) => aar;

        protected override Task<AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            Task.FromResult(aar);

        protected override long GetTimestamp() => timeProvider.GetUtcNow().ToUnixTimeSeconds();

        public override string ToString() => $"ARC signer {Selector}._domainkey.{Domain}";
    }
}

internal static partial class ArcSealingLog
{
    [LoggerMessage(EventId = 8120, Level = LogLevel.Debug, Message = "Message {MessageId} sealed with ARC instance {Instance} (cv={ChainValidation}) for {Domain}, selector {Selector}")]
    public static partial void Sealed(ILogger logger, string messageId, int instance, string chainValidation, string domain, string selector);

    [LoggerMessage(EventId = 8121, Level = LogLevel.Information, Message = "Message {MessageId} forwarded without a new ARC set: {Reason}")]
    public static partial void NotSealed(ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = 8122, Level = LogLevel.Warning, Message = "Message {MessageId} cannot be sealed with ARC: {Reason}")]
    public static partial void Malformed(ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = 8123, Level = LogLevel.Information, Message = "ARC sealing loaded {Count} key(s): {Keys}")]
    public static partial void Loaded(ILogger logger, int count, string keys);
}
