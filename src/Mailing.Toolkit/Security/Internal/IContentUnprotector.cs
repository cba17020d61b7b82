using MimeKit;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Opens one layer of signed or encrypted content for the parser: verifies a signature, or decrypts an envelope, and
/// gives back the content inside. S/MIME and OpenPGP each register one; the parser asks each in turn, layer by layer.
/// </summary>
internal interface IContentUnprotector
{
    /// <summary>Whether <paramref name="entity"/> is a layer this unprotector reads (for example multipart/signed with its protocol).</summary>
    bool Handles(MimeEntity entity);

    /// <summary>
    /// Verifies or decrypts the layer. Never throws for bad content: a signature that cannot be checked, or an envelope
    /// that cannot be opened, is described in the result.
    /// </summary>
    ContentLayer Open(MimeEntity entity, CancellationToken cancellationToken);
}

/// <summary>What opening one layer gave.</summary>
/// <param name="Content">The content inside the layer, or <see langword="null"/> when an envelope could not be decrypted.</param>
/// <param name="Signatures">The signatures of a signed layer; empty for an envelope.</param>
/// <param name="EncryptionScheme">The scheme of an envelope, or <see langword="null"/> for a signed layer.</param>
/// <param name="DecryptionError">Why an envelope could not be decrypted, or <see langword="null"/>.</param>
internal sealed record ContentLayer(
    MimeEntity? Content,
    IReadOnlyList<ContentSignature> Signatures,
    ContentProtectionScheme? EncryptionScheme = null,
    string? DecryptionError = null);
