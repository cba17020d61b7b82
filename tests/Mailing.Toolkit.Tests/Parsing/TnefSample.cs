using System.Buffers.Binary;
using System.Text;
using MimeKit;
using MimeKit.Tnef;

namespace Mailing.Toolkit.Tests.Parsing;

/// <summary>Writes a minimal TNEF stream (MS-OXTNEF) with one attached file, the way Outlook's winmail.dat carries files.</summary>
internal static class TnefSample
{
    private const uint Signature = 0x223E9F78;

    public static TnefPart Create(string fileName, byte[] content)
    {
        var tnef = new MemoryStream();
        Write32(tnef, Signature);
        Write16(tnef, 0x0001); // legacy key
        Attribute(tnef, level: 1, tag: 0x00089006, BitConverter.GetBytes(0x00010000u)); // attTnefVersion
        Attribute(tnef, level: 1, tag: 0x00069007, [0xE4, 0x04, 0, 0, 0, 0, 0, 0]); // attOemCodepage 1252
        Attribute(tnef, level: 2, tag: 0x00069002, new byte[14]); // attAttachRendData: a new attachment starts
        Attribute(tnef, level: 2, tag: 0x00018010, Encoding.ASCII.GetBytes(fileName + "\0")); // attAttachTitle
        Attribute(tnef, level: 2, tag: 0x0006800F, content); // attAttachData

        var part = new TnefPart { FileName = "winmail.dat", Content = new MimeContent(new MemoryStream(tnef.ToArray())) };
        part.ContentTransferEncoding = ContentEncoding.Base64;
        return part;
    }

    private static void Attribute(Stream stream, byte level, uint tag, byte[] data)
    {
        stream.WriteByte(level);
        Write32(stream, tag);
        Write32(stream, (uint)data.Length);
        stream.Write(data);
        ushort checksum = 0;
        foreach (var b in data)
            checksum += b;
        Write16(stream, checksum);
    }

    private static void Write32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void Write16(Stream stream, ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        stream.Write(bytes);
    }
}
