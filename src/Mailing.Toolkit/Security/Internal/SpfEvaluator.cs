using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// SPF check_host() of RFC 7208 on an <see cref="IDnsResolver"/>: record selection, every mechanism and modifier,
/// macros, and the processing limits of section 4.6.4 (see <see cref="SpfLimits"/>). DNS trouble gives temperror,
/// never an exception; the only exception is <see cref="OperationCanceledException"/> when the caller cancels.
/// Thread-safe: each call keeps its own state.
/// </summary>
internal sealed class SpfEvaluator
{
    /// <summary>The identity name of the MAIL FROM check (RFC 8601).</summary>
    public const string IdentityMailFrom = "mailfrom";

    /// <summary>The identity name of the HELO check (RFC 8601).</summary>
    public const string IdentityHelo = "helo";

    private readonly IDnsResolver resolver;
    private readonly SpfLimits limits;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly string receivingHost;

    /// <param name="resolver">Where DNS answers come from.</param>
    /// <param name="limits">The limits; <see cref="SpfLimits.Default"/> (the RFC's) when null.</param>
    /// <param name="logger">Where results and limits hit are logged (Debug), resolver faults (Warning).</param>
    /// <param name="time">The clock of the evaluation timeout and the %{t} macro.</param>
    /// <param name="receivingHost">This host's name, for the %{r} macro of explanations; "unknown" when null.</param>
    public SpfEvaluator(IDnsResolver resolver, SpfLimits? limits = null, ILogger? logger = null, TimeProvider? time = null, string? receivingHost = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        this.resolver = resolver;
        this.limits = limits ?? SpfLimits.Default;
        this.logger = logger ?? NullLogger.Instance;
        this.time = time ?? TimeProvider.System;
        this.receivingHost = string.IsNullOrWhiteSpace(receivingHost) ? "unknown" : receivingHost;
    }

    /// <summary>check_host(ip, domain, sender) for the MAIL FROM identity.</summary>
    public ValueTask<SpfCheckResult> CheckHostAsync(IPAddress ip, string domain, string sender, string helo, CancellationToken cancellationToken = default) =>
        CheckHostAsync(ip, domain, sender, helo, IdentityMailFrom, cancellationToken);

    /// <summary>check_host(ip, domain, sender) (RFC 7208 section 4).</summary>
    /// <param name="ip">The SMTP client's address; an IPv4-mapped IPv6 address is taken as the IPv4 one.</param>
    /// <param name="domain">The domain whose record is evaluated.</param>
    /// <param name="sender">The MAIL FROM address (or postmaster@HELO), for the macros.</param>
    /// <param name="helo">The HELO/EHLO name, for the %{h} macro.</param>
    /// <param name="identity"><see cref="IdentityMailFrom"/> or <see cref="IdentityHelo"/>, copied to the result.</param>
    /// <param name="cancellationToken">Cancels the check; the only way it throws.</param>
    public async ValueTask<SpfCheckResult> CheckHostAsync(IPAddress ip, string domain, string sender, string helo, string identity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ip);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(identity);
        helo ??= "";
        cancellationToken.ThrowIfCancellationRequested();
        if (ip.IsIPv4MappedToIPv6)
            ip = ip.MapToIPv4();

        var name = NormalizeDomain(domain);
        if (name is null)
        {
            // Section 4.3: a malformed domain, or one that is not multi-label, gives none without a lookup.
            var invalid = new SpfCheckResult(AuthenticationStatus.None, identity, null, "the domain to check is not a valid multi-label domain name");
            SpfLog.Result(logger, identity, null, ip.ToString(), "none", invalid.Explanation);
            return invalid;
        }

        SplitSender(sender, name, out var fullSender, out var localPart, out var senderDomain);
        var timeout = limits.Timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(limits.Timeout, time);
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var evaluation = new Evaluation(this, ip, fullSender, localPart, senderDomain, helo, linked?.Token ?? cancellationToken);
        Outcome outcome;
        try
        {
            outcome = await evaluation.CheckHostAsync(name, depth: 0, wantExplanation: true).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            SpfLog.TimedOut(logger, name, limits.Timeout);
            outcome = new Outcome(AuthenticationStatus.TempError, null, $"the SPF evaluation took longer than {limits.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        finally
        {
            timeout?.Dispose();
        }

        outcome = evaluation.Abort ?? outcome;
        var explanation = outcome.Status == AuthenticationStatus.Fail ? outcome.Explanation ?? DefaultExplanation(name, ip) : outcome.Reason;
        if (logger.IsEnabled(LogLevel.Debug))
            SpfLog.Result(logger, identity, name, ip.ToString(), StatusName(outcome.Status), outcome.Reason);
        return new SpfCheckResult(outcome.Status, identity, name, explanation, outcome.Mechanism);
    }

    /// <summary>
    /// The SPF check of a connection by the identity rules of RFC 7208 section 2: the MAIL FROM domain; for the null
    /// reverse path, postmaster@HELO (reported as the <c>helo</c> identity). With <paramref name="checkHelo"/> the HELO
    /// identity is checked first and its fail, being conclusive (section 2.3), is returned without the MAIL FROM check.
    /// </summary>
    public async ValueTask<SpfCheckResult> CheckAsync(MailConnectionInfo connection, bool checkHelo = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var helo = connection.HeloName?.Trim() ?? "";
        var mailFrom = NormalizeMailFrom(connection.EnvelopeFrom);
        if (connection.ClientAddress is not { } ip)
            return new SpfCheckResult(AuthenticationStatus.None, mailFrom.Length == 0 ? IdentityHelo : IdentityMailFrom, null, "the client's IP address is not known");

        if (checkHelo || mailFrom.Length == 0)
        {
            if (helo.Length == 0)
            {
                if (mailFrom.Length == 0)
                    return new SpfCheckResult(AuthenticationStatus.None, IdentityHelo, null, "the reverse path is null and the client gave no HELO name");
            }
            else
            {
                var heloResult = await CheckHostAsync(ip, helo, "postmaster@" + helo, helo, IdentityHelo, cancellationToken).ConfigureAwait(false);
                if (mailFrom.Length == 0 || heloResult.Status == AuthenticationStatus.Fail)
                    return heloResult;
            }
        }

        var (sender, domain) = Identify(mailFrom, helo);
        return await CheckHostAsync(ip, domain, sender, helo, IdentityMailFrom, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The &lt;sender&gt; and &lt;domain&gt; of the MAIL FROM identity (section 2.4): postmaster@HELO for a null path.</summary>
    internal static (string Sender, string Domain) Identify(string mailFrom, string helo)
    {
        var sender = mailFrom.Length == 0 ? "postmaster@" + helo : mailFrom;
        var at = sender.LastIndexOf('@');
        return (sender, at < 0 ? sender : sender[(at + 1)..]);
    }

    /// <summary>The explanation of a fail whose record has no usable <c>exp=</c>.</summary>
    internal static string DefaultExplanation(string domain, IPAddress ip) =>
        $"{domain} does not designate {ip} as a permitted sender";

    /// <summary>
    /// The domain as check_host() takes it (section 4.3): without a trailing dot, IDNA A-labels, labels of 1 to 63
    /// characters, at least two of them, not a domain literal nor an address; <see langword="null"/> otherwise.
    /// </summary>
    internal static string? NormalizeDomain(string domain)
    {
        var name = domain.Trim();
        if (name.EndsWith('.'))
            name = name[..^1];
        if (name.Length == 0 || name[0] == '[')
            return null;
        if (!Ascii.IsValid(name))
        {
            try
            {
                name = new IdnMapping().GetAscii(name);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }

        foreach (var c in name)
        {
            if (c <= ' ' || c >= '\x7F')
                return null;
        }

        if (!SpfMacro.IsQueryableName(name))
            return null;
        var lastDot = name.LastIndexOf('.');
        if (lastDot < 0 || name.AsSpan(lastDot + 1).IndexOfAnyExceptInRange('0', '9') < 0)
            return null;
        return name;
    }

    internal static string StatusName(AuthenticationStatus status) => status switch
    {
        AuthenticationStatus.None => "none",
        AuthenticationStatus.Pass => "pass",
        AuthenticationStatus.Fail => "fail",
        AuthenticationStatus.SoftFail => "softfail",
        AuthenticationStatus.Neutral => "neutral",
        AuthenticationStatus.Policy => "policy",
        AuthenticationStatus.TempError => "temperror",
        _ => "permerror",
    };

    private static string NormalizeMailFrom(string? envelopeFrom)
    {
        var value = envelopeFrom?.Trim() ?? "";
        if (value.Length >= 2 && value[0] == '<' && value[^1] == '>')
            value = value[1..^1].Trim();
        return value;
    }

    /// <summary>Section 4.3: a sender without a local-part gets "postmaster".</summary>
    private static void SplitSender(string sender, string domain, out string fullSender, out string localPart, out string senderDomain)
    {
        var at = sender.LastIndexOf('@');
        localPart = at > 0 ? sender[..at] : "postmaster";
        senderDomain = at >= 0 ? sender[(at + 1)..] : sender.Length > 0 ? sender : domain;
        if (senderDomain.EndsWith('.'))
            senderDomain = senderDomain[..^1];
        fullSender = at > 0 ? sender : localPart + "@" + senderDomain;
    }

    private static bool InNetwork(IPAddress address, IPAddress network, int prefix)
    {
        if (address.AddressFamily != network.AddressFamily)
            return false;
        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        network.TryWriteBytes(n, out _);
        var whole = prefix / 8;
        if (!a[..whole].SequenceEqual(n[..whole]))
            return false;
        var bits = prefix % 8;
        if (bits == 0 || whole >= length)
            return true;
        var mask = (byte)(0xFF << (8 - bits));
        return (a[whole] & mask) == (n[whole] & mask);
    }

    private static bool IsSameOrSubdomain(string name, string domain) =>
        name.Equals(domain, StringComparison.OrdinalIgnoreCase)
        || (name.Length > domain.Length && name[^(domain.Length + 1)] == '.' && name.EndsWith(domain, StringComparison.OrdinalIgnoreCase));

    /// <summary>The target of an MX record in presentation form ("10 mx.example.com"); null for a null MX or junk.</summary>
    private static string? MxHost(string? record)
    {
        if (record is null)
            return null;
        var text = record.AsSpan().Trim();
        var space = text.IndexOfAny(' ', '\t');
        if (space < 0 || !ushort.TryParse(text[..space], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            return null;
        var host = text[(space + 1)..].Trim().TrimEnd('.');
        return host.Length == 0 ? null : host.ToString();
    }

    /// <summary>The end of evaluating a record or a term: a result, the term that gave it, why, and the explanation.</summary>
    private readonly record struct Outcome(AuthenticationStatus Status, string? Mechanism, string? Reason, string? Explanation = null);

    private readonly record struct PtrNames(IReadOnlyList<string> Names, bool Void);

    /// <summary>The state of one check_host() call and the includes and redirects it follows.</summary>
    private sealed class Evaluation
    {
        private static readonly DnsAnswer StoppedAnswer = DnsAnswer.Failed("the evaluation stopped at a limit");

        private readonly SpfEvaluator owner;
        private readonly IPAddress ip;
        private readonly bool v4;
        private readonly string sender;
        private readonly string localPart;
        private readonly string senderDomain;
        private readonly string helo;
        private readonly long timestamp;
        private readonly CancellationToken token;
        private int terms;
        private int voids;
        private int queries;
        private PtrNames? ptrNames;
        private Dictionary<string, bool>? validated;

        public Evaluation(SpfEvaluator owner, IPAddress ip, string sender, string localPart, string senderDomain, string helo, CancellationToken token)
        {
            this.owner = owner;
            this.ip = ip;
            v4 = ip.AddressFamily == AddressFamily.InterNetwork;
            this.sender = sender;
            this.localPart = localPart;
            this.senderDomain = senderDomain;
            this.helo = helo;
            this.token = token;
            timestamp = owner.time.GetUtcNow().ToUnixTimeSeconds();
        }

        /// <summary>Set when a limit that ends the whole check was hit; it replaces whatever the evaluation gave.</summary>
        public Outcome? Abort { get; private set; }

        private SpfLimits Limits => owner.limits;

        public async ValueTask<Outcome> CheckHostAsync(string domain, int depth, bool wantExplanation)
        {
            if (depth > Limits.MaxDnsTerms + 1)
                return new Outcome(AuthenticationStatus.PermError, null, "includes and redirects nest too deep");
            var answer = await QueryAsync(domain, DnsRecordType.Txt).ConfigureAwait(false);
            if (answer.Status == DnsQueryStatus.TemporaryFailure)
                return new Outcome(AuthenticationStatus.TempError, null, $"the TXT lookup of {domain} failed: {answer.Error}");
            if (answer.Status == DnsQueryStatus.NameError)
                return new Outcome(AuthenticationStatus.None, null, $"{domain} does not exist");

            string? text = null;
            var count = 0;
            foreach (var record in answer.Records ?? [])
            {
                if (record is not null && SpfRecord.IsSpfRecord(record))
                {
                    text ??= record;
                    count++;
                }
            }

            if (count == 0)
                return new Outcome(AuthenticationStatus.None, null, $"{domain} publishes no SPF record");
            if (count > 1)
                return new Outcome(AuthenticationStatus.PermError, null, $"{domain} publishes {count} SPF records; only one is allowed");
            var spf = SpfRecord.Parse(text!, Limits.MaxRecordLength, out var error);
            if (spf is null)
                return new Outcome(AuthenticationStatus.PermError, null, $"the SPF record of {domain} is malformed: {error}");

            foreach (var mechanism in spf.Mechanisms)
            {
                if (await EvaluateAsync(mechanism, domain, depth).ConfigureAwait(false) is not { } outcome)
                    continue;
                if (outcome.Status == AuthenticationStatus.Fail && wantExplanation && spf.Explanation is not null && outcome.Mechanism is not null)
                    outcome = outcome with { Explanation = await ExplainAsync(spf.Explanation, domain).ConfigureAwait(false) };
                return outcome;
            }

            if (spf.Redirect is null)
                return new Outcome(AuthenticationStatus.Neutral, null, $"no mechanism of the SPF record of {domain} matched");

            if (CountTerm(domain) is { } limit)
                return limit;
            var target = await ExpandDomainAsync(spf.Redirect, domain).ConfigureAwait(false);
            if (target is null)
                return new Outcome(AuthenticationStatus.PermError, null, $"redirect={spf.Redirect} of {domain} does not expand to a valid domain name");
            var redirected = await CheckHostAsync(target, depth + 1, wantExplanation).ConfigureAwait(false);
            return redirected.Status == AuthenticationStatus.None
                ? new Outcome(AuthenticationStatus.PermError, null, $"redirect={target}: {redirected.Reason}")
                : redirected;
        }

        /// <summary>A match (the qualifier's result), an error that ends the check, or null for no match.</summary>
        private async ValueTask<Outcome?> EvaluateAsync(SpfMechanism mechanism, string domain, int depth)
        {
            switch (mechanism.Kind)
            {
                case SpfMechanismKind.All:
                    return Match(mechanism, domain);
                case SpfMechanismKind.Ip4:
                    return v4 && InNetwork(ip, mechanism.Network!, mechanism.Cidr4) ? Match(mechanism, domain) : null;
                case SpfMechanismKind.Ip6:
                    return !v4 && InNetwork(ip, mechanism.Network!, mechanism.Cidr6) ? Match(mechanism, domain) : null;
            }

            if (CountTerm(domain) is { } limit)
                return limit;
            var target = mechanism.DomainSpec is null ? domain : await ExpandDomainAsync(mechanism.DomainSpec, domain).ConfigureAwait(false);
            if (target is null)
            {
                // A target that is no valid name cannot match (sections 4.3 and 4.8, by analogy); an include needs a record.
                return mechanism.Kind == SpfMechanismKind.Include
                    ? new Outcome(AuthenticationStatus.PermError, null, $"{mechanism.Text} does not expand to a valid domain name")
                    : null;
            }

            switch (mechanism.Kind)
            {
                case SpfMechanismKind.Include:
                    {
                        var inner = await CheckHostAsync(target, depth + 1, wantExplanation: false).ConfigureAwait(false);
                        return inner.Status switch
                        {
                            AuthenticationStatus.Pass => Match(mechanism, domain),
                            AuthenticationStatus.Fail or AuthenticationStatus.SoftFail or AuthenticationStatus.Neutral => null,
                            AuthenticationStatus.TempError => new Outcome(AuthenticationStatus.TempError, null, $"{mechanism.Text}: {inner.Reason}"),
                            AuthenticationStatus.PermError => new Outcome(AuthenticationStatus.PermError, null, $"{mechanism.Text}: {inner.Reason}"),
                            _ => new Outcome(AuthenticationStatus.PermError, null, $"{mechanism.Text}: {inner.Reason}, and an included domain must have one"),
                        };
                    }

                case SpfMechanismKind.A:
                    {
                        var answer = await QueryAsync(target, v4 ? DnsRecordType.A : DnsRecordType.Aaaa).ConfigureAwait(false);
                        if (answer.Status == DnsQueryStatus.TemporaryFailure)
                            return DnsError(mechanism, target, answer);
                        if (IsVoid(answer))
                            return CountVoid(domain, mechanism);
                        return AnyAddressMatches(answer, mechanism) ? Match(mechanism, domain) : null;
                    }

                case SpfMechanismKind.Mx:
                    {
                        var answer = await QueryAsync(target, DnsRecordType.Mx).ConfigureAwait(false);
                        if (answer.Status == DnsQueryStatus.TemporaryFailure)
                            return DnsError(mechanism, target, answer);
                        if (IsVoid(answer))
                            return CountVoid(domain, mechanism);
                        if (answer.Records.Count > Limits.MaxMxNames)
                        {
                            var reason = $"{mechanism.Text}: {target} has {answer.Records.Count} MX records, more than the limit of {Limits.MaxMxNames}";
                            SpfLog.LimitHit(owner.logger, domain, reason);
                            return new Outcome(AuthenticationStatus.PermError, null, reason);
                        }

                        foreach (var record in answer.Records)
                        {
                            var host = MxHost(record);
                            if (host is null || !SpfMacro.IsQueryableName(host))
                                continue;
                            var addresses = await QueryAsync(host, v4 ? DnsRecordType.A : DnsRecordType.Aaaa).ConfigureAwait(false);
                            if (addresses.Status == DnsQueryStatus.TemporaryFailure)
                                return DnsError(mechanism, host, addresses);
                            if (AnyAddressMatches(addresses, mechanism))
                                return Match(mechanism, domain);
                        }

                        return null;
                    }

                case SpfMechanismKind.Ptr:
                    {
                        var names = await PtrNamesAsync().ConfigureAwait(false);
                        if (names.Void && CountVoid(domain, mechanism) is { } voidLimit)
                            return voidLimit;
                        foreach (var name in names.Names)
                        {
                            if (IsSameOrSubdomain(name, target) && await IsValidatedAsync(name).ConfigureAwait(false))
                                return Match(mechanism, domain);
                        }

                        return null;
                    }

                default: // exists: any A record, whatever the client's address family (section 5.7)
                    {
                        var answer = await QueryAsync(target, DnsRecordType.A).ConfigureAwait(false);
                        if (answer.Status == DnsQueryStatus.TemporaryFailure)
                            return DnsError(mechanism, target, answer);
                        if (IsVoid(answer))
                            return CountVoid(domain, mechanism);
                        return Match(mechanism, domain);
                    }
            }
        }

        /// <summary>The explanation of section 6.2; null (so the default applies) on any problem.</summary>
        private async ValueTask<string?> ExplainAsync(string spec, string domain)
        {
            var target = await ExpandDomainAsync(spec, domain).ConfigureAwait(false);
            if (target is null)
                return Ignored(domain, $"exp={spec} does not expand to a valid domain name");
            var answer = await QueryAsync(target, DnsRecordType.Txt).ConfigureAwait(false);
            if (answer.Status != DnsQueryStatus.Success || answer.Records.Count != 1 || answer.Records[0] is not { } text)
                return Ignored(domain, $"the TXT lookup of {target} gave {answer.Status} with {answer.Records?.Count ?? 0} record(s); exactly one is needed");
            if (!SpfMacro.IsValidMacroString(text, explanation: true, out _, out var error))
                return Ignored(domain, $"the explanation at {target} is malformed: {error}");
            var validatedName = SpfMacro.UsesValidatedName(text) ? await ValidatedNameAsync(domain).ConfigureAwait(false) : "unknown";
            var expanded = SpfMacro.Expand(text, Values(domain, validatedName));
            if (expanded is null || expanded.Length > Limits.MaxExplanationLength)
                return Ignored(domain, $"the explanation is longer than {Limits.MaxExplanationLength} characters");
            if (expanded.AsSpan().IndexOfAnyExceptInRange(' ', '~') >= 0)
                return Ignored(domain, "the expanded explanation holds characters outside printable ASCII");
            return expanded;
        }

        private string? Ignored(string domain, string reason)
        {
            SpfLog.ExplanationIgnored(owner.logger, domain, reason);
            return null;
        }

        private async ValueTask<string?> ExpandDomainAsync(string spec, string domain)
        {
            var validatedName = SpfMacro.UsesValidatedName(spec) ? await ValidatedNameAsync(domain).ConfigureAwait(false) : "unknown";
            var expanded = SpfMacro.Expand(spec, Values(domain, validatedName));
            return expanded is null ? null : SpfMacro.ToQueryName(expanded);
        }

        private SpfMacroValues Values(string domain, string validatedName) =>
            new(sender, localPart, senderDomain, domain, ip, helo, validatedName, owner.receivingHost, timestamp);

        /// <summary>The %{p} value (section 7.3): a validated name equal to the domain, else one below it, else any, else "unknown".</summary>
        private async ValueTask<string> ValidatedNameAsync(string domain)
        {
            var names = await PtrNamesAsync().ConfigureAwait(false);
            string? below = null;
            string? any = null;
            foreach (var name in names.Names)
            {
                if (!await IsValidatedAsync(name).ConfigureAwait(false))
                    continue;
                if (name.Equals(domain, StringComparison.OrdinalIgnoreCase))
                    return name;
                if (below is null && IsSameOrSubdomain(name, domain))
                    below = name;
                any ??= name;
            }

            return below ?? any ?? "unknown";
        }

        /// <summary>The client address's PTR names, the first <see cref="SpfLimits.MaxPtrNames"/>, asked once per check.</summary>
        private async ValueTask<PtrNames> PtrNamesAsync()
        {
            if (ptrNames is { } known)
                return known;
            var answer = await QueryAsync(SpfMacro.ReverseName(ip), DnsRecordType.Ptr).ConfigureAwait(false);
            var names = new List<string>();
            if (answer.Status == DnsQueryStatus.Success)
            {
                foreach (var record in answer.Records)
                {
                    if (names.Count >= Limits.MaxPtrNames)
                        break;
                    var name = record?.Trim().TrimEnd('.');
                    if (name is not null && SpfMacro.IsQueryableName(name))
                        names.Add(name);
                }
            }

            // A failed PTR lookup makes ptr not match (section 5.5); it is no void lookup.
            var result = new PtrNames(names, answer.Status == DnsQueryStatus.NameError || (answer.Status == DnsQueryStatus.Success && answer.Records.Count == 0));
            ptrNames = result;
            return result;
        }

        /// <summary>Whether a PTR name has an address record that is the client's; a DNS error skips the name (section 5.5).</summary>
        private async ValueTask<bool> IsValidatedAsync(string name)
        {
            validated ??= new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
            if (validated.TryGetValue(name, out var known))
                return known;
            var answer = await QueryAsync(name, v4 ? DnsRecordType.A : DnsRecordType.Aaaa).ConfigureAwait(false);
            var result = false;
            if (answer.Status == DnsQueryStatus.Success)
            {
                foreach (var record in answer.Records)
                {
                    if (TryParseAddress(record, out var address) && address.Equals(ip))
                    {
                        result = true;
                        break;
                    }
                }
            }

            validated[name] = result;
            return result;
        }

        private bool AnyAddressMatches(DnsAnswer answer, SpfMechanism mechanism)
        {
            foreach (var record in answer.Records)
            {
                if (TryParseAddress(record, out var address) && InNetwork(ip, address, v4 ? mechanism.Cidr4 : mechanism.Cidr6))
                    return true;
            }

            return false;
        }

        private static bool TryParseAddress(string? record, out IPAddress address)
        {
            if (record is null || !IPAddress.TryParse(record.AsSpan().Trim(), out var parsed))
            {
                address = IPAddress.None;
                return false;
            }

            address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
            return true;
        }

        private static bool IsVoid(DnsAnswer answer) =>
            answer.Status == DnsQueryStatus.NameError || answer.Records.Count == 0;

        private static Outcome Match(SpfMechanism mechanism, string domain) =>
            new(mechanism.Qualifier, mechanism.Text, $"{mechanism.Text} in the SPF record of {domain} matched");

        private static Outcome DnsError(SpfMechanism mechanism, string name, DnsAnswer answer) =>
            new(AuthenticationStatus.TempError, null, $"{mechanism.Text}: the DNS lookup of {name} failed: {answer.Error}");

        private Outcome? CountTerm(string domain)
        {
            if (++terms <= Limits.MaxDnsTerms)
                return null;
            var reason = $"more than {Limits.MaxDnsTerms} DNS-querying terms (include, a, mx, ptr, exists, redirect)";
            SpfLog.LimitHit(owner.logger, domain, reason);
            return new Outcome(AuthenticationStatus.PermError, null, reason);
        }

        private Outcome? CountVoid(string domain, SpfMechanism mechanism)
        {
            if (++voids <= Limits.MaxVoidLookups)
                return null;
            var reason = $"{mechanism.Text}: more than {Limits.MaxVoidLookups} lookups gave no record or a name that does not exist";
            SpfLog.LimitHit(owner.logger, domain, reason);
            return new Outcome(AuthenticationStatus.PermError, null, reason);
        }

        /// <summary>One DNS query, counted against the total; a resolver fault becomes a temporary failure.</summary>
        private async ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type)
        {
            if (Abort is not null)
                return StoppedAnswer;
            if (++queries > Limits.MaxDnsQueries)
            {
                var reason = $"more than {Limits.MaxDnsQueries} DNS queries in one check";
                SpfLog.LimitHit(owner.logger, name, reason);
                Abort = new Outcome(AuthenticationStatus.PermError, null, reason);
                return StoppedAnswer;
            }

            DnsAnswer? answer;
            try
            {
                var pending = owner.resolver.QueryAsync(name, type, token);
                // WaitAsync: a resolver that ignores the token still cannot hold the check past its timeout.
                answer = pending.IsCompleted ? pending.Result : await pending.AsTask().WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
#pragma warning disable CA1031 // The resolver's contract is to return failures; one that throws still must not break the check.
            catch (Exception e)
#pragma warning restore CA1031
            {
                SpfLog.ResolverThrew(owner.logger, type, e);
                answer = DnsAnswer.Failed($"the resolver threw {e.GetType().Name}");
            }

            answer ??= DnsAnswer.Failed("the resolver returned no answer");
            if (answer.Status == DnsQueryStatus.Success && answer.Records is null)
                answer = DnsAnswer.NoData(answer.TimeToLive);
            SpfLog.Query(owner.logger, name, type, answer.Status);
            return answer;
        }
    }
}
