using MiniContainer.Images;

namespace MiniContainer.Build;

/// <summary>
/// ADD's archive rule: a local file that is a tar (plain, gzip, bzip2, xz or zstd) is unpacked at the
/// destination instead of copied. Unpacking goes through the image layer unpacker (no entry may leave its
/// directory, links are never followed) into a private directory first, and that tree is then copied in
/// with its owners and modes.
/// </summary>
public static class ArchiveExtractor
{
    public static bool IsArchive(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var tar = Compression.Decompress(file, out _);
            byte[] header = new byte[512];
            int read = 0;
            while (read < header.Length && tar.Read(header, read, header.Length - read) is int n and > 0) read += n;
            return read == 512 && header.AsSpan(257, 5).SequenceEqual("ustar"u8);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;   // not something we can read as an archive: copied as a plain file, as Docker does
        }
    }

    public static void ExtractInto(string archive, string targetDir, string scratchDir)
    {
        if (Directory.Exists(scratchDir)) Directory.Delete(scratchDir, true);
        Directory.CreateDirectory(scratchDir);
        try
        {
            using (var file = File.OpenRead(archive))
            {
                try { LayerUnpacker.Unpack(file, scratchDir); }
                catch (InvalidArchiveException e) { throw new BuildException($"ADD failed: cannot extract {Path.GetFileName(archive)}: {e.Message}"); }
            }
            CopyStep.CopyTree(scratchDir, targetDir, null, null, keepOwner: true);
        }
        finally { Directory.Delete(scratchDir, true); }
    }
}
