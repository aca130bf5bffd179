using System.Diagnostics;
using System.Net.Sockets;
using Grpc.Net.Client;
using MiniContainer.NativeTests.Harness;

namespace MiniContainer.NativeTests.Cri;

/// <summary>
/// A private Debian containerd 1.6 with its CRI plugin on, as a kubelet's node runs it, and nothing shared with a
/// system containerd: root, state, sockets, the CRI's CNI config and minicontainer-runc's --root all under one
/// /tmp/mc-test-cri-* directory. Its config has one runtime, the RuntimeClass handler "minicontainer": containerd's own
/// runc shim (io.containerd.runc.v2) with BinaryName = artifacts/bin/minicontainer-runc. The busybox fixture and the
/// pause fixture (the CRI's sandbox_image) are imported into the CRI's k8s.io namespace. Dispose stops it and removes
/// everything it made: its shims, mounts, network namespaces, cgroups, the pod network's bridge and its directories.
/// </summary>
public sealed class CriContainerd : IDisposable
{
    public const string Containerd = "/usr/bin/containerd";
    public const string Ctr = "/usr/bin/ctr";
    public const string Handler = "minicontainer";
    /// <summary>A second handler, Debian's runc through the same shim: the tests' control.</summary>
    public const string RuncHandler = "runc";
    public const string DebianRunc = "/usr/sbin/runc";
    public const string Namespace = "k8s.io";
    public const string BusyboxImage = "docker.io/library/busybox:latest";
    public const string PauseImage = "docker.io/library/mc-pause:latest";
    private const string CniBin = "/usr/lib/cni";

    public string Dir { get; }
    public string Socket => Path.Combine(Dir, "containerd.sock");
    /// <summary>The runtime entry's Root: containerd's runc shim gives the runtime --root RUNTIME_ROOT/k8s.io.</summary>
    public string RuntimeRoot => Path.Combine(Dir, "runtime-root");
    public string RuncRoot => Path.Combine(Dir, "runc-root");
    /// <summary>The cgroup parent the test's pod asks for (the kubelet's /kubepods/…/pod&lt;uid&gt;): one name to remove after.</summary>
    public string CgroupParent { get; }
    public string LogFile => Path.Combine(Dir, "containerd.log");
    /// <summary>The pod network's bridge (the CNI bridge plugin makes it; Dispose removes it). cleanup.sh knows mc-* links.</summary>
    public string Bridge { get; }
    private readonly int _octet = TestSubnets.Lease(200, 250);
    public static string Runtime => Path.Combine(Daemon.Bin, "minicontainer-runc");

    private readonly Process _process;
    private readonly bool _hadRunDir = Directory.Exists("/run/containerd");
    /// <summary>libcni caches each network attachment's result here (not configurable in containerd 1.6's CRI); CNI DEL
    /// removes the files, so only a pod that was never removed leaves some.</summary>
    private const string CniCache = "/var/lib/cni";
    private readonly bool _hadCniCache = Directory.Exists(CniCache);

    /// <summary>Why a CRI test cannot run here, or null: only a missing containerd or CNI plugins (install-deps.sh test).</summary>
    public static string? NotInstalled =>
        !File.Exists(Containerd) || !File.Exists(Ctr) ? $"containerd is not installed ({Containerd}): run `sudo scripts/install-deps.sh test`"
        : !File.Exists(DebianRunc) ? $"runc is not installed ({DebianRunc}): run `sudo scripts/install-deps.sh test`"
        : new[] { "bridge", "host-local", "loopback" }.FirstOrDefault(p => !File.Exists(Path.Combine(CniBin, p))) is { } plugin
            ? $"the CNI plugins are not installed ({CniBin}/{plugin}): run `sudo scripts/install-deps.sh test` (containernetworking-plugins)"
        : null;

    public CriContainerd()
    {
        string name = Support.Unique("mc-test-cri");
        Dir = Path.Combine("/tmp", name);
        CgroupParent = "/" + name;
        Bridge = "mc-cri-" + name[^4..];
        Directory.CreateDirectory(Path.Combine(Dir, "cni"));
        File.WriteAllText(Path.Combine(Dir, "config.toml"), Config());
        File.WriteAllText(Path.Combine(Dir, "cni", "10-mc-cri.conflist"), CniConfig());
        var psi = new ProcessStartInfo(Containerd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--config", Path.Combine(Dir, "config.toml"), "--log-level", "info" }) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        var log = new StreamWriter(LogFile) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            Support.WaitUntil(() => File.Exists(Socket) || _process.HasExited, Support.TimeLimit(20), "containerd's socket");
            if (_process.HasExited) throw new InvalidOperationException($"containerd exited {_process.ExitCode}:\n{File.ReadAllText(LogFile)}");
            Import("busybox.tar");
            Import("pause.tar");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>containerd's config: CRI on, one runtime (ours), cgroupfs, overlayfs, a CNI config dir of its own.</summary>
    private string Config() => $$"""
        version = 2
        root = "{{Dir}}/root"
        state = "{{Dir}}/state"
        # Only what a node needs for the CRI; the system containerd's plugins that would touch the host stay off.
        disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp", "io.containerd.snapshotter.v1.aufs",
                            "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
        [grpc]
          address = "{{Socket}}"
        [ttrpc]
          address = "{{Socket}}.ttrpc"
        [debug]
          address = "{{Dir}}/debug.sock"
        [plugins."io.containerd.grpc.v1.cri"]
          # The pod's process is our pause fixture, imported, never pulled.
          sandbox_image = "{{PauseImage}}"
          # Nothing the kubelet's request controls: this host's kernel options. minicontainer-runc refuses an AppArmor
          # profile (it cannot honour one), and there is no SELinux here.
          disable_apparmor = true
          enable_selinux = false
          # The CRI gives the pause process oom_score_adj -998; lowering it takes CAP_SYS_RESOURCE, which root here (and
          # in some CI containers) does not have, so the kernel refuses the write and minicontainer-runc's create fails
          # (as runc's would). This clamps every container's value to containerd's own, as for a rootless node.
          restrict_oom_score_adj = true
          # ExecSync does not use the streaming server, but the CRI starts it: loopback, a port of the kernel's choosing.
          stream_server_address = "127.0.0.1"
          stream_server_port = "0"
          # A pod's network namespace is mounted under the state dir, not /var/run/netns.
          netns_mounts_under_state_dir = true
          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "overlayfs"
            default_runtime_name = "{{Handler}}"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{{Handler}}]
              # containerd's own runc shim; it runs BinaryName wherever it would run runc.
              runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{{Handler}}.options]
                BinaryName = "{{Runtime}}"
                Root = "{{RuntimeRoot}}"
                SystemdCgroup = false
            # The control: Debian's runc through the same shim, with a root of its own.
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{{RuncHandler}}]
              runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{{RuncHandler}}.options]
                BinaryName = "{{DebianRunc}}"
                Root = "{{RuncRoot}}"
                SystemdCgroup = false
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "{{CniBin}}"
            conf_dir = "{{Dir}}/cni"
            max_conf_num = 1
        """;

    /// <summary>
    /// The pod network. containerd's CRI wants an address on the pod's eth0 (RunPodSandbox fails with "failed to find
    /// network info for sandbox" when the CNI result has none), so the loopback plugin alone is not enough. The bridge
    /// plugin on a bridge of the test's own (mc-cri-TAG), with no address on the host side (isGateway false), no NAT, no
    /// firewall rule, and host-local IPAM keeping its leases under Dir: the host's routes and addresses are untouched,
    /// and the pod's veth dies with its network namespace. The bridge itself is removed in Dispose.
    /// </summary>
    private string CniConfig() => $$"""
        {"cniVersion": "1.0.0", "name": "{{Bridge}}", "plugins": [
          {"type": "bridge", "bridge": "{{Bridge}}", "isGateway": false, "ipMasq": false,
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.{{_octet}}.0.0/24"}]], "dataDir": "{{Dir}}/ipam"} }
        ]}
        """;

    private void Import(string fixture)
    {
        string tar = Path.Combine(Daemon.Fixtures, fixture);
        if (!File.Exists(tar)) throw new InvalidOperationException($"no fixture {tar}: run rootfs-fixtures/build-all.sh artifacts/fixtures");
        Daemon.Exec(Ctr, ["-a", Socket, "-n", Namespace, "images", "import", "--snapshotter", "overlayfs", tar]).Ok($"ctr images import {fixture}");
    }

    /// <summary>A gRPC channel over containerd's unix socket (HTTP/2 without TLS, as the kubelet dials it).</summary>
    public GrpcChannel Channel() => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        },
    });

    public CommandResult CtrIn(params string[] args) => Daemon.Exec(Ctr, ["-a", Socket, "-n", Namespace, .. args]);

    /// <summary>
    /// Stops containerd and removes what it and its shims made. A test that passed has already stopped and removed its pod
    /// through the CRI; this is for a failed one, and it is what the test's leftover check then verifies.
    /// </summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // Tasks first (kills the containers, the shims unmount their rootfs and exit), then containerd itself.
            try
            {
                foreach (string id in CtrIn("task", "ls", "-q").Stdout.Lines()) CtrIn("task", "delete", "--force", id);
            }
            catch (Exception) { }
            _process.Kill();
            _process.WaitForExit();
        }
        // The CNI result cache entries of pods never removed: NETWORK-SANDBOXID-IFNAME (the CRI's own loopback network too).
        string sandboxes = Path.Combine(Dir, "root", "io.containerd.grpc.v1.cri", "sandboxes");
        foreach (string id in Directory.Exists(sandboxes) ? new DirectoryInfo(sandboxes).GetDirectories().Select(d => d.Name) : [])
            foreach (string f in Directory.Exists(CniCache + "/results") ? Directory.GetFiles(CniCache + "/results", $"*-{id}-*") : [])
                File.Delete(f);
        if (!_hadCniCache && Directory.Exists(CniCache) && !Directory.EnumerateFiles(CniCache, "*", SearchOption.AllDirectories).Any())
            Directory.Delete(CniCache, recursive: true);
        // A shim outlives containerd by design (containerd reconnects after a restart): ours carry our socket's address.
        foreach (int pid in ShimPids()) { try { Process.GetProcessById(pid).Kill(); } catch (Exception) { } }
        Support.WaitUntil(() => ShimPids().Count == 0, Support.TimeLimit(10), "the shims to exit");
        foreach (string target in MountsUnder(Dir).OrderByDescending(t => t.Length)) Daemon.Exec("umount", ["-l", target]);
        // The pod's cgroups (cgroupfs driver): CgroupParent/ID under each hierarchy, children before parents.
        foreach (string dir in CgroupDirs().OrderByDescending(d => d.Length))
        {
            try { Directory.Delete(dir); } catch (Exception) { }
        }
        Daemon.Exec("ip", ["link", "del", Bridge]);
        TestSubnets.Return(_octet);
        // containerd 1.6 puts its shims' sockets under /run/containerd whatever its state dir.
        if (!_hadRunDir) { try { Directory.Delete("/run/containerd", recursive: true); } catch (Exception) { } }
        try { Directory.Delete(Dir, recursive: true); } catch (Exception) { }
    }

    /// <summary>containerd-shim-runc-v2 processes started by this containerd (their -address is our socket).</summary>
    public List<int> ShimPids() =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(int.Parse!)
            .Where(pid =>
            {
                try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains($"-address {Socket} "); }
                catch (Exception) { return false; }
            }).ToList();

    public static List<string> MountsUnder(string dir) =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(t => t.StartsWith(dir + "/", StringComparison.Ordinal)).ToList();

    /// <summary>Every cgroup directory at or below CgroupParent, in any hierarchy (v1 controllers or the unified one).</summary>
    public List<string> CgroupDirs() =>
        Directory.GetDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup").Select(h => h + CgroupParent).Where(Directory.Exists)
            .SelectMany(d => Directory.GetDirectories(d, "*", SearchOption.AllDirectories).Append(d)).Distinct().ToList();
}
