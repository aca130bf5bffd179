using System.CommandLine;
using System.Formats.Tar;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;
using MiniContainer.Linux;
using MiniContainer.Storage;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// cp: files between a container and the host, as a tar over /containers/{id}/archive, with Docker's path
/// rules (CopyPaths). Out of a container: GET the tar and extract it here (never chowning, as docker does).
/// Into one: HEAD the destination, tar the local source here and PUT it into the directory it must land in.
/// "-" is a tar stream on stdin or stdout.
/// </summary>
internal static class CopyCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("cp", "Copy files/folders between a container and the local filesystem",
            "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tminicontainer cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH");
        var archive = new Option<bool>("--archive", "-a") { Description = "Archive mode (copy all uid/gid information)" };
        var followLink = new Option<bool>("--follow-link", "-L") { Description = "Always follow symbol link in SRC_PATH" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached" };
        var paths = new Argument<string[]>("PATHS") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { archive, followLink, quiet }) command.Options.Add(o);
        command.Arguments.Add(paths);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] args = parse.GetValue(paths) ?? [];
            if (args.Length != 2) throw command.RequiresExactly(2);
            if (args[0].Length == 0) throw new ExitException(ExitCodes.Error, "source can not be empty");
            if (args[1].Length == 0) throw new ExitException(ExitCodes.Error, "destination can not be empty");
            var (srcContainer, srcPath) = CopyPaths.SplitArgument(args[0]);
            var (dstContainer, dstPath) = CopyPaths.SplitArgument(args[1]);
            var options = new Options(parse.GetValue(archive), parse.GetValue(followLink), parse.GetValue(quiet) || !TerminalNative.IsTerminal(2));
            if (srcContainer != null && dstContainer != null) throw new ExitException(ExitCodes.Error, "copying between containers is not supported");
            if (srcContainer == null && dstContainer == null) throw new ExitException(ExitCodes.Error, "must specify at least one container source");
            var client = await context.ConnectAsync(parse);
            if (srcContainer != null) await FromContainerAsync(client, srcContainer, srcPath, dstPath, options, cancellation);
            else await ToContainerAsync(client, dstContainer!, srcPath, dstPath, options, cancellation);
            return ExitCodes.Ok;
        });
        return command;
    }

    sealed record Options(bool CopyUidGid, bool FollowLink, bool Quiet);

    sealed record ContainerStat(string Name, long Size, uint Mode, string LinkTarget)
    {
        public bool IsDir => (Mode & (1u << 31)) != 0;
        public bool IsSymlink => (Mode & (1u << 27)) != 0;
        public bool IsRegular => (Mode & 0x8F280000u) == 0;   // none of Go's type bits (dir, symlink, named pipe, socket, device, char device, irregular)

        public static ContainerStat? FromHeader(HttpResponseMessage response)
        {
            if (!response.Headers.TryGetValues("X-Docker-Container-Path-Stat", out var values)) return null;
            var json = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(values.First())))!;
            return new ContainerStat((string?)json["name"] ?? "", (long?)json["size"] ?? 0, (uint?)json["mode"] ?? 0, (string?)json["linkTarget"] ?? "");
        }
    }

    static string ArchivePath(string container, string path) => $"{ApiPaths.Container(container)}/archive?path={Uri.EscapeDataString(path)}";

    /// <summary>HEAD: the stat of a container path, or null when it is not there.</summary>
    static async Task<ContainerStat?> StatAsync(DockerClient client, string container, string path, CancellationToken ct)
    {
        try
        {
            using var response = await client.SendAsync(HttpMethod.Head, ArchivePath(container, path), null, ct);
            return ContainerStat.FromHeader(response);
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound && !e.Message.StartsWith("No such container", StringComparison.Ordinal)) { return null; }
    }

    /// <summary>A local path made absolute, keeping a trailing "/" or "/." (Docker's resolveLocalPath).</summary>
    static string LocalAbsolute(string path) => CopyPaths.PreserveTrailingDotOrSeparator(Path.GetFullPath(path), path);

    // ───────────── container → host ─────────────

    static async Task FromContainerAsync(DockerClient client, string container, string srcPath, string dstPath, Options options, CancellationToken ct)
    {
        if (dstPath != "-")
        {
            dstPath = LocalAbsolute(dstPath);
            ValidateOutputPath(dstPath);
        }
        if (CopyPaths.Clean("/" + srcPath) == "/") srcPath = "/.";   // the whole root: its contents
        string? rebaseName = null;
        if (options.FollowLink && await StatAsync(client, container, srcPath, ct) is { IsSymlink: true } linkStat)
        {
            string target = linkStat.LinkTarget.StartsWith('/') ? linkStat.LinkTarget : CopyPaths.SplitDirEntry(srcPath).Dir + "/" + linkStat.LinkTarget;
            (srcPath, rebaseName) = CopyPaths.RebaseName(srcPath, CopyPaths.Clean(target));
        }
        using var response = await client.SendAsync(HttpMethod.Get, ArchivePath(container, srcPath), null, ct);
        var stat = ContainerStat.FromHeader(response) ?? throw new ExitException(ExitCodes.Error, "the daemon sent no X-Docker-Container-Path-Stat header");
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        if (dstPath == "-")
        {
            await body.CopyToAsync(Stdio.OutStream, 1 << 20, ct);
            return;
        }
        var (dstExists, dstIsDir, dstResolved) = LocalDestination(dstPath);
        var plan = Plan(srcPath, stat.IsDir, rebaseName, dstResolved, dstExists, dstIsDir);
        string srcBase = CopyPaths.SplitDirEntry(srcPath).Base;
        Func<string, string> rename = name =>
        {
            if (rebaseName != null) name = CopyPaths.Rebase(name, srcBase, rebaseName);
            return plan.RebaseFrom != null ? CopyPaths.Rebase(name, plan.RebaseFrom, plan.RebaseTo!) : name;
        };
        using var dest = RootedDirectory.Open(plan.ExtractDir);
        var counting = new CountingStream(body);
        try
        {
            await Task.Run(() => TreeExtractor.Extract(counting, dest, new ExtractOptions(Chown: false, NoOverwriteDirNonDir: true, Rename: rename)), ct);
        }
        catch (UnsafeArchiveException e) { throw new ExitException(ExitCodes.Error, e.Message); }
        catch (KernelException e) { throw new ExitException(ExitCodes.Error, e.Message); }
        if (!options.Quiet) Stdio.Err.WriteLine($"Successfully copied {HumanUnits.Size(counting.Count)} to {dstPath}");
    }

    /// <summary>Docker's ValidateOutputPath: the parent must exist; an existing target must be a directory or a regular file.</summary>
    static void ValidateOutputPath(string path)
    {
        string dir = CopyPaths.Dir(CopyPaths.Clean(path));
        if (!Directory.Exists(dir) && !File.Exists(dir)) throw new ExitException(ExitCodes.Error, $"invalid output path: directory \"{dir}\" does not exist");
        var info = new FileInfo(path.TrimEnd('/').Length == 0 ? "/" : path);
        if (info.Exists && (info.Attributes & FileAttributes.Directory) == 0 && !IsRegularFollowing(path))
            throw new ExitException(ExitCodes.Error, $"invalid output path: \"{path}\" must be a directory or a regular file");
    }

    static bool IsRegularFollowing(string path) =>
        (File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path) is string p && Kernel.LStat(p) is { Kind: FileKind.RegularFile or FileKind.Directory };

    /// <summary>Docker's CopyInfoDestinationPath: follows symlinks at the destination; a missing one needs an existing parent directory.</summary>
    static (bool Exists, bool IsDir, string Path) LocalDestination(string path)
    {
        for (int hops = 0; hops < 20; hops++)
        {
            var status = Kernel.LStat(path.TrimEnd('/').Length == 0 ? "/" : path.TrimEnd('/'));
            if (status is { IsSymbolicLink: true })
            {
                string target = new FileInfo(path.TrimEnd('/')).LinkTarget!;
                string joined = target.StartsWith('/') ? target : CopyPaths.SplitDirEntry(path).Dir + "/" + target;
                path = CopyPaths.PreserveTrailingDotOrSeparator(CopyPaths.Clean(joined), path);
                continue;
            }
            if (status is { } s) return (true, s.IsDirectory, path);
            string parent = CopyPaths.SplitDirEntry(path).Dir;
            if (!Directory.Exists(parent))
                throw new ExitException(ExitCodes.Error, File.Exists(parent) ? "not a directory" : $"stat {parent}: no such file or directory");
            return (false, false, path);
        }
        throw new ExitException(ExitCodes.Error, $"too many symlinks in {path}");
    }

    static CopyPlan Plan(string srcPath, bool srcIsDir, string? rebase, string dstPath, bool dstExists, bool dstIsDir)
    {
        try { return CopyPaths.Plan(srcPath, srcIsDir, rebase, dstPath, dstExists, dstIsDir); }
        catch (CopyRuleException e) { throw new ExitException(ExitCodes.Error, e.Message); }
    }

    // ───────────── host → container ─────────────

    static async Task ToContainerAsync(DockerClient client, string container, string srcPath, string dstPath, Options options, CancellationToken ct)
    {
        var dstStat = await StatAsync(client, container, dstPath, ct);
        string dstResolved = dstPath;
        if (dstStat is { IsSymlink: true })
        {
            dstResolved = dstStat.LinkTarget.StartsWith('/') ? dstStat.LinkTarget : CopyPaths.SplitDirEntry(dstPath).Dir + "/" + dstStat.LinkTarget;
            dstStat = await StatAsync(client, container, dstResolved, ct);
        }
        if (dstStat is { IsDir: false, IsRegular: false })
            throw new ExitException(ExitCodes.Error, $"destination \"{container}:{dstPath}\" must be a directory or a regular file");

        string query = $"&noOverwriteDirNonDir=true&copyUIDGID={(options.CopyUidGid ? "true" : "false")}";
        if (srcPath == "-")
        {
            if (dstStat is not { IsDir: true }) throw new ExitException(ExitCodes.Error, $"destination \"{container}:{dstPath}\" must be a directory");
            using var stdin = new StreamContent(Stdio.OpenIn(), 1 << 20);
            using var _ = await client.SendAsync(HttpMethod.Put, ArchivePath(container, dstResolved) + query, stdin, ct);
            return;
        }

        var (source, srcIsDir, srcRebase) = LocalSource(LocalAbsolute(srcPath), options.FollowLink);
        var plan = Plan(source, srcIsDir, srcRebase, dstResolved, dstStat != null, dstStat?.IsDir ?? false);
        string srcBase = srcRebase ?? CopyPaths.SplitDirEntry(source).Base;
        string entryName = plan.RebaseTo ?? srcBase;
        bool follow = CopyPaths.SpecifiesCurrentDir(source) || CopyPaths.HasTrailingSeparator(source);
        using var hostRoot = Kernel.OpenDirectoryHandle("/");
        using var item = Kernel.OpenAt(hostRoot, source.TrimStart('/').Length == 0 ? "." : source.TrimStart('/'), Kernel.O_PATH | (follow ? 0 : Kernel.O_NOFOLLOW));
        var content = new TarContent(item, entryName == "/" ? "." : entryName);
        using var response = await client.SendAsync(HttpMethod.Put, ArchivePath(container, plan.ExtractDir) + query, content, ct);
        if (!options.Quiet) Stdio.Err.WriteLine($"Successfully copied {HumanUnits.Size(content.Count)} to {container}:{dstPath}");
    }

    /// <summary>Docker's CopyInfoSourcePath: with -L the source's symlinks are all followed; without, only its parent's.</summary>
    static (string Path, bool IsDir, string? Rebase) LocalSource(string path, bool followLink)
    {
        string resolved;
        string? rebase = null;
        if (followLink)
        {
            string real = RealPath(path);
            (resolved, rebase) = CopyPaths.RebaseName(path, real);
        }
        else
        {
            int slash = path.LastIndexOf('/');
            string dir = path[..(slash + 1)], name = path[(slash + 1)..];
            string realDir = RealPath(dir.Length == 0 ? "/" : dir);
            resolved = (realDir == "/" ? "" : realDir) + "/" + name;
            if (CopyPaths.HasTrailingSeparator(path) && CopyPaths.Base(path) != CopyPaths.Base(resolved)) rebase = CopyPaths.Base(path);
        }
        FileStatus? status;
        try { status = CopyPaths.HasTrailingSeparator(resolved) || CopyPaths.SpecifiesCurrentDir(resolved) ? StatFollowing(resolved) : Kernel.LStat(resolved); }
        catch (KernelException e) when (e.Errno == 20) { throw new ExitException(ExitCodes.Error, $"lstat {resolved}: not a directory"); }
        if (status is null) throw new ExitException(ExitCodes.Error, $"lstat {resolved}: no such file or directory");
        return (resolved, status.Value.IsDirectory, rebase);
    }

    static FileStatus? StatFollowing(string path)
    {
        string real = RealPath(path);
        return Kernel.LStat(real);
    }

    /// <summary>realpath(3) done with .NET: every symlink of the path followed (a missing path is returned as is).</summary>
    static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        string current = "/";
        foreach (string part in full.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Join(current, part);
            for (int hops = 0; hops < 40 && new FileInfo(next).LinkTarget is { } target; hops++)
                next = Path.GetFullPath(target.StartsWith('/') ? target : Path.Join(Path.GetDirectoryName(next) ?? "/", target));
            current = next;
        }
        return current;
    }

    /// <summary>The request body of a cp into a container: the tar written as it is sent.</summary>
    sealed class TarContent(Microsoft.Win32.SafeHandles.SafeFileHandle item, string entryName) : HttpContent
    {
        public long Count { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var buffered = new BufferedStream(new CountingStream(stream, n => Count += n), 1 << 20);
            await TreeArchive.WriteAsync(item, entryName, buffered);
            await buffered.FlushAsync();
        }

        protected override bool TryComputeLength(out long length) { length = 0; return false; }
    }
}
