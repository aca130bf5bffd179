using MiniContainer.Linux;

namespace MiniContainer.Explaining;

/// <summary>The words for what happens on disk: a volume's directories, a build's COPY and the layer it makes.</summary>
public static class ExplainStorage
{
    /// <summary>A directory made (the mode and owner are read back from the directory itself, after the call).</summary>
    public static ExplainLine Directory(string phase, string path, FileStatus made, string why) => new(phase,
        $"Create the directory {path} (mode {Octal(made.Permissions)}, owner {made.Uid}:{made.Gid}): {why}",
        $"mkdir -m {Octal(made.Permissions)} {path} && chown {made.Uid}:{made.Gid} {path}",
        $"mkdir({ExplainText.Quote(path)}, {Octal(made.Permissions)}); chown({ExplainText.Quote(path)}, {made.Uid}, {made.Gid})");

    public static ExplainLine MetadataFile(string phase, string path, int bytes, string what) => new(phase,
        $"Write {what} to {path} ({bytes} bytes), through a temporary file renamed over it: never half-written",
        $"cat > {path}   # {what}",
        $"openat(AT_FDCWD, \"{Path.GetDirectoryName(path)}/.{Path.GetFileName(path)}.tmp-…\", O_WRONLY|O_CREAT|O_EXCL, 0600); write(fd, …, {bytes}); fsync(fd); rename(…, {ExplainText.Quote(path)})");

    public static ExplainLine VolumeInPlace(string from, string to, string name) => new(ExplainPhase.Volumes,
        $"Move the finished volume into place with one rename: {to} is the volume {name}, and {to}/_data is what a container mounts",
        $"mv {from} {to}",
        $"rename({ExplainText.Quote(from)}, {ExplainText.Quote(to)})");

    /// <summary>COPY/ADD: the files written into the step's overlay (its upper dir keeps them: they become the layer).</summary>
    public static ExplainLine CopyFiles(string instruction, string source, string target, int files, long bytes, uint? uid, uint? gid, uint? chmod) => new(ExplainPhase.Layers,
        $"{instruction}: write {files} file{(files == 1 ? "" : "s")} ({ExplainText.Human(bytes)}) from {source} to {target} in the step's overlay, owned by {uid ?? 0}:{gid ?? 0}{(chmod is { } m ? $", mode {Octal(m)}" : ", modes kept")}; the overlay's upper dir catches every one of them",
        $"cp -a {source} {target}" + (uid is not null ? $" && chown -R {uid}:{gid} {target}" : "") + (chmod is { } mode ? $" && chmod -R {Octal(mode)} {target}" : ""),
        $"openat(…, O_WRONLY|O_CREAT|O_EXCL); copy_file_range(…)/write(…); fchown(fd, {uid ?? 0}, {gid ?? 0}); fchmod(…) × {files}");

    /// <summary>The build step's layer: its upper dir packed as a tar, hashed as it is written (its diff id).</summary>
    public static ExplainLine LayerTar(string upperDir, string tarFile, string diffId, long bytes) => new(ExplainPhase.Layers,
        $"Pack the step's upper dir {upperDir} (everything it changed; overlay whiteouts become .wh. files) into a layer tar of {ExplainText.Human(bytes)}, hashed as it is written: its diff id is {diffId}, the id the image's RootFS lists",
        $"tar -C {upperDir} -cf {tarFile} . && sha256sum {tarFile}",
        $"openat(AT_FDCWD, {ExplainText.Quote(tarFile)}, O_WRONLY|O_CREAT|O_TRUNC); write(fd, …) — {bytes} bytes → sha256 {diffId}");

    public static string Octal(uint mode) => "0" + Convert.ToString(mode & 0xFFF, 8).PadLeft(3, '0');
}
