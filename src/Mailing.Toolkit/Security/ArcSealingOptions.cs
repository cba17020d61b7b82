namespace Mailing.Toolkit.Security;

/// <summary>
/// ARC sealing of forwarded mail (RFC 8617), bound from <c>Mailing:Arc</c> by <c>AddArcSealing()</c>. The keys are
/// loaded and checked when the host starts, the way <see cref="DkimSigningOptions"/> keys are.
/// </summary>
public sealed class ArcSealingOptions
{
    /// <summary>
    /// The header fields the ARC-Message-Signature covers by default, when <see cref="SignedHeaders"/> is not set: those
    /// of <see cref="DkimSigningOptions.DefaultSignedHeaders"/> and DKIM-Signature, so the next hop can tell the
    /// original signatures were not altered after this one sealed the message.
    /// </summary>
    public static IReadOnlyList<string> DefaultSignedHeaders { get; } =
        [.. DkimSigningOptions.DefaultSignedHeaders, "DKIM-Signature"];

    /// <summary>
    /// The authserv-id written in ARC-Authentication-Results, such as <c>mx.example.com</c>;
    /// <see langword="null"/> (the default) for <see cref="MailAuthenticationResults.AuthServId"/>, the id of the host
    /// that made the checks. Set it when the results came from another host of this domain.
    /// </summary>
    public string? AuthServId { get; set; }

    /// <summary>
    /// The sealing keys, one per domain (<c>d=</c> of this host's own ADMD, not the From domain): <see cref="IArcSealer.Seal"/>
    /// uses the first unless it is given a domain. Only <see cref="DkimSigningKey.RsaSha256"/> keys: RFC 8617 defines
    /// no other algorithm. The public key is published like a DKIM key, at <c>{Selector}._domainkey.{Domain}</c>;
    /// rotate by publishing a new selector and switching the key to it.
    /// </summary>
    public IList<DkimSigningKey> Keys { get; } = new List<DkimSigningKey>();

    /// <summary>
    /// The header fields the ARC-Message-Signature covers, or <see langword="null"/> for <see cref="DefaultSignedHeaders"/>.
    /// <c>From</c> must be in it; Return-Path, Received, Comments, Keywords, Bcc, Resent-Bcc, Authentication-Results and
    /// the ARC fields must not. A trailing <c>*</c> stands for every field that starts with it.
    /// </summary>
    public IList<string>? SignedHeaders { get; set; }
}
