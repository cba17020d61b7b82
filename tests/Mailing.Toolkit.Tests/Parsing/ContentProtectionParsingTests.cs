using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Parsing.Internal;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Mailing.Toolkit.Tests.Parsing;

/// <summary>How the parser opens signed and encrypted layers through the registered unprotectors.</summary>
public sealed class ContentProtectionParsingTests
{
    private const string Signed = """
        From: a@example.com
        To: b@example.com
        Subject: signed
        MIME-Version: 1.0
        Content-Type: multipart/signed; protocol="application/test-signature"; boundary="b1"

        --b1
        Content-Type: text/plain

        the signed text
        --b1
        Content-Type: application/test-signature

        sig
        --b1--
        """;

    [Fact]
    public async Task Parse_SignedLayer_BodyIsTheSignedContentAndTheSignatureIsReported()
    {
        var parser = Create(new FirstChildUnprotector(ContentSignatureStatus.Valid));

        var mail = await parser.ParseAsync(Signed);

        Assert.Equal("the signed text", mail.TextBody?.Trim());
        Assert.Empty(mail.Attachments);
        var protection = Assert.IsType<ContentProtectionInfo>(mail.Protection);
        Assert.False(protection.IsEncrypted);
        Assert.True(protection.IsSignatureValid);
        Assert.Equal("a@example.com", Assert.Single(protection.Signatures).SignerAddress);
    }

    [Fact]
    public async Task Parse_NoUnprotectorHandlesTheLayer_ProtectionIsNullAndPartsAreReadAsTheyAre()
    {
        var mail = await Create().ParseAsync(Signed);

        Assert.Null(mail.Protection);
        Assert.Equal("the signed text", mail.TextBody?.Trim());
        Assert.Single(mail.Attachments);
    }

    [Fact]
    public async Task Parse_EnvelopeThatCannotBeDecrypted_KeepsTheEnvelopeAsAnAttachmentAndSaysWhy()
    {
        var parser = Create(new UndecryptableUnprotector());

        var mail = await parser.ParseAsync(Signed);

        var protection = Assert.IsType<ContentProtectionInfo>(mail.Protection);
        Assert.True(protection.IsEncrypted);
        Assert.False(protection.IsDecrypted);
        Assert.Equal("no private key", protection.DecryptionError);
        Assert.Single(mail.Attachments);
    }

    [Fact]
    public async Task Parse_MoreLayersThanTheLimit_StopsWithAWarning()
    {
        var parser = Create(new SameEntityUnprotector());

        var mail = await parser.ParseAsync(Signed);

        Assert.Equal(MailParser.MaxProtectionLayers, mail.Protection!.Signatures.Count);
        Assert.Contains(mail.Warnings, w => w.Contains("more than 4 signed or encrypted layers", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Parse_UnprotectorThrows_MessageIsStillParsedWithAWarning()
    {
        var parser = Create(new ThrowingUnprotector());

        var mail = await parser.ParseAsync(Signed);

        Assert.Equal("signed", mail.Subject);
        Assert.Equal("the signed text", mail.TextBody?.Trim());
        Assert.Contains(mail.Warnings, w => w.Contains("could not be read (InvalidOperationException)", StringComparison.Ordinal));
    }

    private static MailParser Create(params IContentUnprotector[] unprotectors) =>
        new(new MailParserOptions(), NullLogger<MailParser>.Instance, unprotectors: unprotectors);

    private static bool IsTestSigned(MimeEntity entity) =>
        entity is Multipart { ContentType.MediaSubtype: "signed" } multipart && multipart.ContentType.Parameters["protocol"] == "application/test-signature";

    private static ContentSignature Signature(ContentSignatureStatus status) =>
        new(ContentProtectionScheme.SMime, status, "a@example.com", null, null, null, null);

    private sealed class FirstChildUnprotector(ContentSignatureStatus status) : IContentUnprotector
    {
        public bool Handles(MimeEntity entity) => IsTestSigned(entity);

        public ContentLayer Open(MimeEntity entity, CancellationToken cancellationToken) =>
            new(((Multipart)entity)[0], [Signature(status)]);
    }

    private sealed class UndecryptableUnprotector : IContentUnprotector
    {
        public bool Handles(MimeEntity entity) => IsTestSigned(entity);

        public ContentLayer Open(MimeEntity entity, CancellationToken cancellationToken) =>
            new(null, [], ContentProtectionScheme.SMime, "no private key");
    }

    private sealed class SameEntityUnprotector : IContentUnprotector
    {
        public bool Handles(MimeEntity entity) => IsTestSigned(entity);

        public ContentLayer Open(MimeEntity entity, CancellationToken cancellationToken) => new(entity, [Signature(ContentSignatureStatus.Valid)]);
    }

    private sealed class ThrowingUnprotector : IContentUnprotector
    {
        public bool Handles(MimeEntity entity) => IsTestSigned(entity);

        public ContentLayer Open(MimeEntity entity, CancellationToken cancellationToken) => throw new InvalidOperationException("broken");
    }
}
