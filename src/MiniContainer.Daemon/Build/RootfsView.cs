using MiniContainer.Images;
using MiniContainer.Linux;

namespace MiniContainer.Build;

/// <summary>
/// An image's filesystem mounted in the daemon for one build step: overlayfs with the image's layers as
/// lowerdir and a fresh upper dir, so what COPY, ADD and WORKDIR write lands in the upper dir, which becomes the
/// step's layer (exactly as a RUN container's upper dir does). Read-only (no upper dir) for COPY --from.
/// Unmounted on Dispose; the scratch directory is the caller's to delete.
/// </summary>
public sealed class RootfsView : IDisposable
{
    public string Root { get; }
    public string? UpperDir { get; }
    private bool _mounted;

    private RootfsView(string root, string? upper) { Root = root; UpperDir = upper; }

    /// <summary>Mounts <paramref name="image"/> (null: an empty root, FROM scratch) under <paramref name="scratchDir"/>.</summary>
    public static RootfsView Mount(ImageStore images, Image? image, string scratchDir, bool writable)
    {
        string empty = Path.Combine(scratchDir, "empty");
        string merged = Path.Combine(scratchDir, "merged");
        Directory.CreateDirectory(empty);
        Directory.CreateDirectory(merged);
        var lower = (image is null ? new List<string>() : images.LowerDirs(image).ToList());
        lower.Add(empty);   // overlayfs wants two lower dirs when it has no upper dir; harmless otherwise
        string? upper = null;
        string options = "lowerdir=" + string.Join(':', lower);
        if (writable)
        {
            upper = Path.Combine(scratchDir, "upper");
            string work = Path.Combine(scratchDir, "work");
            Directory.CreateDirectory(upper);
            Directory.CreateDirectory(work);
            File.SetUnixFileMode(upper, (UnixFileMode)0b111_101_101);
            options += $",upperdir={upper},workdir={work}";
        }
        var view = new RootfsView(merged, upper);
        Kernel.Mount("overlay", merged, "overlay", writable ? MountFlags.None : MountFlags.ReadOnly, options);
        view._mounted = true;
        return view;
    }

    /// <summary>True when the step wrote nothing (the upper dir is empty).</summary>
    public bool Unchanged => UpperDir is null || !Directory.EnumerateFileSystemEntries(UpperDir).Any();

    public void Dispose()
    {
        if (!_mounted) return;
        Kernel.Unmount(Root);
        _mounted = false;
    }
}
