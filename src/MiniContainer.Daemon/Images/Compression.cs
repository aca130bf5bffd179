using System.IO.Compression;
using System.Security.Cryptography;

namespace MiniContainer.Images;

public enum LayerCompression { None, Gzip, Zstd, Xz, Bzip2 }

/// <summary>
/// Recognises a compressed stream by its first bytes (not by a file name or media type, which may lie)
/// and wraps it in the right decompressor: gzip (1f 8b), zstd (28 b5 2f fd), xz (fd 37 7a 58 5a 00),
/// bzip2 ("BZh"), or none (a plain tar).
/// </summary>
public static class Compression
{
    private static readonly byte[] GzipMagic = [0x1f, 0x8b];
    private static readonly byte[] ZstdMagic = [0x28, 0xb5, 0x2f, 0xfd];
    private static readonly byte[] XzMagic = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
    private static readonly byte[] Bzip2Magic = [0x42, 0x5a, 0x68];

    /// <summary>Peeks at the magic bytes of <paramref name="raw"/> and returns a stream of the decompressed bytes.</summary>
    public static Stream Decompress(Stream raw, out LayerCompression compression)
    {
        byte[] magic = new byte[6];
        int n = 0;
        while (n < magic.Length && raw.Read(magic, n, magic.Length - n) is int read and > 0) n += read;
        var head = magic.AsSpan(0, n);
        Stream whole = new PrefixedStream(magic[..n], raw);   // put the peeked bytes back in front

        compression = head.StartsWith(GzipMagic) ? LayerCompression.Gzip
            : head.StartsWith(ZstdMagic) ? LayerCompression.Zstd
            : head.StartsWith(XzMagic) ? LayerCompression.Xz
            : head.StartsWith(Bzip2Magic) ? LayerCompression.Bzip2
            : LayerCompression.None;
        return compression switch
        {
            LayerCompression.Gzip => new GZipStream(whole, CompressionMode.Decompress),
            LayerCompression.Zstd => new SharpCompress.Compressors.ZStandard.DecompressionStream(whole, leaveOpen: false),
            LayerCompression.Xz => new SharpCompress.Compressors.Xz.XZStream(whole),
            LayerCompression.Bzip2 => SharpCompress.Compressors.BZip2.BZip2Stream.Create(whole, SharpCompress.Compressors.CompressionMode.Decompress,
                                        decompressConcatenated: true, leaveOpen: false, tolerateTruncatedStream: false),
            _ => whole,
        };
    }

    /// <summary>The OCI media type of a layer blob with this compression.</summary>
    public static string LayerMediaType(LayerCompression compression) => compression switch
    {
        LayerCompression.Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        LayerCompression.Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        _ => "application/vnd.oci.image.layer.v1.tar",   // xz/bzip2 have no OCI type: such blobs are only ever re-saved as received
    };
}

/// <summary>A read-only stream that yields some bytes already read (the peeked magic) and then the rest of the inner stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : MiniContainer.Storage.ReadOnlyStream
{
    private int _prefixPosition;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_prefixPosition < prefix.Length)
        {
            int n = Math.Min(buffer.Length, prefix.Length - _prefixPosition);
            prefix.AsSpan(_prefixPosition, n).CopyTo(buffer);
            _prefixPosition += n;
            return n;
        }
        return inner.Read(buffer);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

}

/// <summary>A read-only pass-through stream that computes the sha256 and the count of every byte read through it.</summary>
internal sealed class HashingStream(Stream inner, bool leaveOpen = false) : MiniContainer.Storage.ReadOnlyStream
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _sha256.AppendData(buffer[..n]);
        BytesRead += n;
        return n;
    }

    /// <summary>Reads whatever is left (e.g. the zero blocks after a tar's end marker) so the digest covers it all.</summary>
    public void ReadToEnd()
    {
        byte[] buffer = new byte[81920];
        while (Read(buffer) > 0) { }
    }

    /// <summary>"sha256:&lt;hex&gt;" of everything read so far.</summary>
    public string Digest => "sha256:" + Convert.ToHexStringLower(_sha256.GetCurrentHash());

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _sha256.Dispose(); if (!leaveOpen) inner.Dispose(); }
        base.Dispose(disposing);
    }

}

/// <summary>sha256 helpers: digests are written "sha256:&lt;64 lowercase hex&gt;".</summary>
public static class Digests
{
    public static string Of(ReadOnlySpan<byte> data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    public static string OfFile(string path)
    {
        using var file = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(file));
    }

    /// <summary>The hex part of "sha256:&lt;hex&gt;"; throws when it is not a well-formed sha256 digest.</summary>
    public static string Hex(string digest)
    {
        if (!IsSha256(digest)) throw new InvalidArchiveException($"invalid digest \"{digest}\": expected sha256:<64 hex characters>");
        return digest[7..];
    }

    public static bool IsSha256(string? digest) =>
        digest is { Length: 71 } && digest.StartsWith("sha256:", StringComparison.Ordinal) && IsHex(digest.AsSpan(7));

    public static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text) if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return text.Length > 0;
    }

    /// <summary>The layer's chain ID (OCI image spec): ChainID(L1) = DiffID(L1); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).</summary>
    public static List<string> ChainIds(IReadOnlyList<string> diffIds)
    {
        var chain = new List<string>(diffIds.Count);
        foreach (string diffId in diffIds)
            chain.Add(chain.Count == 0 ? diffId : Of(System.Text.Encoding.ASCII.GetBytes(chain[^1] + " " + diffId)));
        return chain;
    }
}
