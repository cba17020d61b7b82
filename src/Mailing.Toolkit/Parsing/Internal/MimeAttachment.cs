using System.Buffers;
using System.Security.Cryptography;
using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;

namespace Mailing.Toolkit.Parsing.Internal;

/// <summary>
/// An attachment backed by the parsed MIME part. Nothing is decoded until asked: <see cref="Size"/> and
/// <see cref="Sha256"/> come from one decoding pass, run once and cached; <see cref="OpenRead"/> decodes as the
/// caller reads.
/// </summary>
internal sealed class MimeAttachment(MimeEntity entity, long maxSize) : ParsedAttachment
{
    private readonly Lock gate = new();
    private (long Size, string Sha256)? digest;

    public override long Size => Digest().Size;

    public override string Sha256 => Digest().Sha256;

    public override Stream OpenRead()
    {
        switch (entity)
        {
            case MessagePart { Message: { } message }:
                var buffer = new MemoryStream();
                message.WriteTo(FormatOptions.Default, buffer);
                buffer.Position = 0;
                return buffer;
            case MimePart { Content: { } content }:
                var decoded = new FilteredStream(OpenEncoded(content));
                decoded.Add(DecoderFilter.Create(content.Encoding));
                return decoded;
            default:
                return Stream.Null;
        }
    }

    /// <summary>
    /// The still-encoded content. A part parsed from our own buffer gets a read-only view of its bytes, so every
    /// call is an independent stream; other content is opened through MimeKit, which rewinds the part's one stream.
    /// </summary>
    private static Stream OpenEncoded(IMimeContent content)
    {
        if (content.Stream is BoundStream { BaseStream: MemoryStream source, EndBoundary: >= 0 } bound
            && source.TryGetBuffer(out var bytes)
            && bound.EndBoundary <= bytes.Count)
        {
            var start = (int)bound.StartBoundary;
            return new MemoryStream(bytes.Array!, bytes.Offset + start, (int)bound.EndBoundary - start, writable: false);
        }
        if (content.Stream is not { } stream)
            return Stream.Null;
        stream.Position = 0;
        return new BoundStream(stream, 0, -1, leaveOpen: true);
    }

    private (long Size, string Sha256) Digest()
    {
        lock (gate)
        {
            if (digest is { } known)
                return known;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var stream = OpenRead();
            var buffer = ArrayPool<byte>.Shared.Rent(81920);
            try
            {
                long size = 0;
                int read;
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    size += read;
                    if (size > maxSize)
                    {
                        throw new MailParseException(
                            $"The attachment '{FileName ?? ContentType}' is larger than {maxSize} bytes decoded (Mailing:Parsing:MaxAttachmentSize).",
                            nameof(MailParserOptions.MaxAttachmentSize));
                    }
                    hash.AppendData(buffer, 0, read);
                }
                var result = (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
                digest = result;
                return result;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
