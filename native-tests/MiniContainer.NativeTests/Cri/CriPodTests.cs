using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Net.Client;
using MiniContainer.NativeTests.Cri.V1;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests.Cri;

/// <summary>Skipped, with the reason, only when containerd or the CNI plugins are not installed; otherwise a plain fact.</summary>
public sealed class CriFactAttribute : FactAttribute
{
    public CriFactAttribute()
    {
        if (CriContainerd.NotInstalled is { } why) Skip = why;
    }
}

/// <summary>
/// Kubernetes' path to a container, without a kubelet: this test makes the kubelet's CRI calls over gRPC to containerd's
/// CRI plugin (CriContainerd: a private containerd 1.6 whose RuntimeClass handler "minicontainer" is containerd's runc
/// shim running artifacts/bin/minicontainer-runc). kubelet → CRI → containerd → containerd-shim-runc-v2 →
/// minicontainer-runc create/start → clone(). A pod of two busybox containers around the pause fixture.
/// </summary>
public sealed class CriPodTests(ITestOutputHelper output)
{
    [CriFact]
    public async Task A_two_container_pod_runs_under_minicontainer_runc_shares_its_network_namespace_and_leaves_nothing()
    {
        var clock = Stopwatch.StartNew();
        string dir, cgroupParent, bridge, pod;
        using (var containerd = new CriContainerd())
        {
            dir = containerd.Dir;
            cgroupParent = containerd.CgroupParent;
            bridge = containerd.Bridge;
            try
            {
                pod = await RunPod(containerd, clock);
            }
            catch
            {
                output.WriteLine("--- containerd's log ---\n" + File.ReadAllText(containerd.LogFile));
                string state = Path.Combine(dir, "state");
                foreach (string log in Directory.Exists(state) ? Directory.GetFiles(state, "log.json", SearchOption.AllDirectories) : [])
                    output.WriteLine($"--- {log} (minicontainer-runc --log) ---\n{File.ReadAllText(log)}");
                throw;
            }
        }
        // containerd stopped: its directory (root, state, the runtime's --root, netns mount), processes and cgroups are gone.
        Assert.False(Directory.Exists(dir), $"{dir} is left");
        Assert.Empty(CriContainerd.MountsUnder(dir));
        Assert.DoesNotContain(Directory.GetDirectories("/proc").Select(Path.GetFileName),
            p => p!.All(char.IsAsciiDigit) && Cmdline(int.Parse(p!)).Contains(dir));
        Assert.DoesNotContain(Directory.GetDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup"), h => Directory.Exists(h + cgroupParent));
        Assert.False(Directory.Exists("/sys/class/net/" + bridge), $"the pod network's bridge {bridge} is left");
        Assert.Empty(Directory.Exists("/var/lib/cni/results") ? Directory.GetFiles("/var/lib/cni/results", $"*-{pod}-*") : []);
        output.WriteLine($"whole test: {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// The control: the same containerd has a second handler, "runc" (Debian's runc 1.1.5 through the same shim). A pod
    /// run with it leaves runc's state record, not minicontainer-runc's, so the marker the first test checks cannot pass
    /// with runc; and it gives the same steps' times beside ours.
    /// </summary>
    [CriFact]
    public async Task The_marker_fails_with_runc_a_pod_under_the_runc_handler_has_runc_state_not_ours()
    {
        using var containerd = new CriContainerd();
        using GrpcChannel channel = containerd.Channel();
        var cri = new RuntimeService.RuntimeServiceClient(channel);
        var sandboxConfig = SandboxConfig(containerd, Guid.NewGuid().ToString());
        var clock = Stopwatch.StartNew();
        string pod = (await cri.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig, RuntimeHandler = CriContainerd.RuncHandler })).PodSandboxId;
        long sandboxMs = clock.ElapsedMilliseconds;
        // The same two containers as the first test's pod, so the times compare step for step.
        string server = await Create(cri, pod, sandboxConfig, "server", "httpd", "-f", "-p", "127.0.0.1:8080");
        string client = await Create(cri, pod, sandboxConfig, "client", "sleep", "3600");
        await cri.StartContainerAsync(new StartContainerRequest { ContainerId = server });
        await cri.StartContainerAsync(new StartContainerRequest { ContainerId = client });
        output.WriteLine($"runc handler: RunPodSandbox {sandboxMs} ms; sandbox + 2× CreateContainer + StartContainer {clock.ElapsedMilliseconds} ms");

        foreach (string id in new[] { pod, server, client })
        {
            string runcState = Path.Combine(containerd.RuncRoot, CriContainerd.Namespace, id, "state.json");
            Assert.True(File.Exists(runcState), $"no runc state for {id} at {runcState}");
            using JsonDocument state = JsonDocument.Parse(File.ReadAllText(runcState));
            Assert.True(state.RootElement.TryGetProperty("init_process_pid", out _), "not runc's state record");
            Assert.False(state.RootElement.TryGetProperty("startTime", out _), "runc's record has minicontainer-runc's keys");
            Assert.False(Directory.Exists(Path.Combine(containerd.RuntimeRoot, CriContainerd.Namespace, id)), "minicontainer-runc state for a runc pod");
        }
        var teardown = Stopwatch.StartNew();
        await cri.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod });
        await cri.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
        output.WriteLine($"runc handler: StopPodSandbox + RemovePodSandbox {teardown.ElapsedMilliseconds} ms");
    }

    /// <summary>Runs the pod through the CRI and removes it; returns the sandbox's id.</summary>
    private async Task<string> RunPod(CriContainerd containerd, Stopwatch clock)
    {
        using GrpcChannel channel = containerd.Channel();
        var cri = new RuntimeService.RuntimeServiceClient(channel);
        VersionResponse version = await cri.VersionAsync(new VersionRequest { Version = "v1" });
        output.WriteLine($"CRI: {version.RuntimeName} {version.RuntimeVersion}, API {version.RuntimeApiVersion}; started in {clock.ElapsedMilliseconds} ms");
        Assert.Equal("v1", version.RuntimeApiVersion);

        string podUid = Guid.NewGuid().ToString();
        var sandboxConfig = SandboxConfig(containerd, podUid);
        var podClock = Stopwatch.StartNew();
        string pod = (await cri.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig, RuntimeHandler = CriContainerd.Handler })).PodSandboxId;
        long sandboxMs = podClock.ElapsedMilliseconds;

        // Two containers: a web server listening on the pod's loopback only, and a client beside it.
        string server = await Create(cri, pod, sandboxConfig, "server",
            "sh", "-c", "mkdir /www && echo hello from the server container > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www");
        string client = await Create(cri, pod, sandboxConfig, "client", "sleep", "3600");
        await cri.StartContainerAsync(new StartContainerRequest { ContainerId = server });
        await cri.StartContainerAsync(new StartContainerRequest { ContainerId = client });
        long podMs = podClock.ElapsedMilliseconds;
        output.WriteLine($"RunPodSandbox {sandboxMs} ms; sandbox + 2× CreateContainer + StartContainer {podMs} ms");

        foreach (string id in new[] { server, client })
        {
            ContainerStatusResponse status = await cri.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id, Verbose = true });
            Assert.Equal(ContainerState.ContainerRunning, status.Status.State);
        }

        // The pod's containers run under minicontainer-runc: the runtime entry's Root holds ITS state record for the
        // sandbox and each container (runc's state.json has other keys: init_process_pid, cgroup_paths…), and the pid in it
        // is the process containerd reports. The runc shim gives the runtime --root ROOT/NAMESPACE.
        var pids = new Dictionary<string, int>();
        foreach (string id in new[] { pod, server, client })
        {
            string stateFile = Path.Combine(containerd.RuntimeRoot, CriContainerd.Namespace, id, "state.json");
            Assert.True(File.Exists(stateFile), $"no minicontainer-runc state for {id} at {stateFile}");
            using JsonDocument state = JsonDocument.Parse(File.ReadAllText(stateFile));
            Assert.Equal(id, state.RootElement.GetProperty("id").GetString());
            Assert.True(state.RootElement.TryGetProperty("startTime", out _), $"{stateFile} is not minicontainer-runc's record");
            Assert.StartsWith(containerd.CgroupParent.TrimStart('/') + "/pod" + podUid + "/", state.RootElement.GetProperty("cgroupName").GetString());
            pids[id] = state.RootElement.GetProperty("pid").GetInt32();
        }
        foreach (string id in new[] { server, client })
        {
            ContainerStatusResponse status = await cri.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id, Verbose = true });
            using JsonDocument info = JsonDocument.Parse(status.Info["info"]);
            Assert.Equal(pids[id], info.RootElement.GetProperty("pid").GetInt32());
            Assert.Equal(CriContainerd.Runtime, info.RootElement.GetProperty("runtimeOptions").GetProperty("binary_name").GetString());
        }
        // minicontainer-runc's own view of the pod, from the state the shim's calls left under the entry's Root.
        string runtimeStates = Path.Combine(containerd.RuntimeRoot, CriContainerd.Namespace);
        string list = Daemon.Exec(CriContainerd.Runtime, ["--root", runtimeStates, "list"]).Ok("minicontainer-runc list").Stdout;
        foreach (string id in new[] { pod, server, client }) Assert.Matches($@"(?m)^{id}\s+{pids[id]}\s+running\s", list);

        output.WriteLine("the hops (kubelet → CRI → containerd → shim → minicontainer-runc → clone):");
        output.WriteLine($"  containerd (CRI plugin on), the runtime entry in its config.toml:\n{RuntimeEntry(containerd)}");
        output.WriteLine($"  shim, the pod's processes' parent: {Cmdline(ParentOf(pids[server]))}");
        output.WriteLine($"  minicontainer-runc --root {runtimeStates} list:\n{string.Join("\n", list.Lines().Select(l => "    " + l))}");
        output.WriteLine($"  pause pid {pids[pod]}: {Cmdline(pids[pod])}; server pid {pids[server]}: {Cmdline(pids[server])}; client pid {pids[client]}: {Cmdline(pids[client])}");
        Assert.Equal("/pause", Cmdline(pids[pod]).Trim());
        // containerd's default seccomp profile, compiled and installed by minicontainer-runc: filter mode for the client only.
        Assert.Matches(@"(?m)^Seccomp:\s+2$", File.ReadAllText($"/proc/{pids[client]}/status"));
        Assert.Matches(@"(?m)^Seccomp:\s+0$", File.ReadAllText($"/proc/{pids[server]}/status"));
        Assert.All(new[] { pod, server, client }, id => Assert.Equal(ParentOf(pids[server]), ParentOf(pids[id])));   // one shim per pod

        // One network namespace for the pod: the pause process holds it, both containers joined it; it is not the host's.
        string hostNet = new FileInfo("/proc/self/ns/net").LinkTarget!;
        string podNet = new FileInfo($"/proc/{pids[pod]}/ns/net").LinkTarget!;
        Assert.NotEqual(hostNet, podNet);
        foreach (string id in new[] { server, client })
        {
            ExecSyncResponse ns = await Exec(cri, id, "readlink", "/proc/self/ns/net");
            Assert.Equal(0, ns.ExitCode);
            Assert.Equal(podNet, ns.Stdout.ToStringUtf8().Trim());
        }
        // …but each its own PID namespace (NamespaceMode.Container, the kubelet's default).
        Assert.NotEqual(new FileInfo($"/proc/{pids[server]}/ns/pid").LinkTarget, new FileInfo($"/proc/{pids[client]}/ns/pid").LinkTarget);

        // The client reaches the server on the pod's 127.0.0.1: only possible inside one network namespace.
        ExecSyncResponse get = null!;
        Support.WaitUntil(() => (get = Exec(cri, client, "wget", "-q", "-O", "-", "http://127.0.0.1:8080/index.html").Result).ExitCode == 0,
            Support.TimeLimit(10), "the server to answer on the pod's loopback");
        Assert.Equal("hello from the server container\n", get.Stdout.ToStringUtf8());
        Assert.NotEqual(0, (await Exec(cri, client, "wget", "-q", "-O", "-", "http://127.0.0.1:8081/")).ExitCode);   // nothing there

        // ExecSync: the exit code, stdout and stderr come back apart.
        ExecSyncResponse exec = await Exec(cri, server, "sh", "-c", "echo out; echo err >&2; exit 7");
        Assert.Equal(7, exec.ExitCode);
        Assert.Equal("out\n", exec.Stdout.ToStringUtf8());
        Assert.Equal("err\n", exec.Stderr.ToStringUtf8());
        Assert.Equal("mc-pod\n", (await Exec(cri, client, "hostname")).Stdout.ToStringUtf8());

        // StopContainer: SIGTERM, which httpd as its PID namespace's init does not act on, then SIGKILL after the timeout.
        await cri.StopContainerAsync(new StopContainerRequest { ContainerId = server, Timeout = 1 });
        ContainerStatus stopped = (await cri.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = server })).Status;
        Assert.Equal(ContainerState.ContainerExited, stopped.State);
        Assert.Equal(137, stopped.ExitCode);
        Assert.True(stopped.FinishedAt > stopped.StartedAt, $"finished {stopped.FinishedAt}, started {stopped.StartedAt}");
        Assert.Equal(ContainerState.ContainerRunning, (await cri.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = client })).Status.State);

        // The kubelet's pod teardown: stop the sandbox (every container, then the pause process, then the network), remove it.
        var teardown = Stopwatch.StartNew();
        await cri.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod });
        long stopMs = teardown.ElapsedMilliseconds;
        Assert.Equal(ContainerState.ContainerExited, (await cri.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = client })).Status.State);
        teardown.Restart();
        await cri.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
        output.WriteLine($"StopPodSandbox + RemovePodSandbox {stopMs + teardown.ElapsedMilliseconds} ms");

        // Removed while containerd still runs: no runtime state, no container process, no shim, no mount, no cgroup.
        Assert.Empty(Directory.Exists(runtimeStates) ? Directory.GetDirectories(runtimeStates) : []);
        foreach (int pid in pids.Values) Assert.False(Directory.Exists($"/proc/{pid}"), $"pid {pid} is left: {Cmdline(pid)}");
        Support.WaitUntil(() => containerd.ShimPids().Count == 0, Support.TimeLimit(10), "the pod's shim to exit");
        Assert.Empty(CriContainerd.MountsUnder(containerd.Dir));   // the rootfs overlays and the pod's netns mount
        // Only the parents the pod named are left (the kubelet makes and removes those): no container's cgroup.
        Assert.DoesNotContain(containerd.CgroupDirs(), d => !Regex.IsMatch(d, $"{Regex.Escape(containerd.CgroupParent)}(/pod{podUid})?$"));
        output.WriteLine($"pod lifecycle through the CRI: {podClock.ElapsedMilliseconds} ms");
        return pod;
    }

    /// <summary>What the kubelet sends for a pod with the default (container-private) PID namespace and the pod's network.</summary>
    private static PodSandboxConfig SandboxConfig(CriContainerd containerd, string podUid) => new()
    {
        Metadata = new PodSandboxMetadata { Name = "mc-pod", Uid = podUid, Namespace = "default" },
        Hostname = "mc-pod",
        Linux = new LinuxPodSandboxConfig
        {
            CgroupParent = containerd.CgroupParent + "/pod" + podUid,
            SecurityContext = new LinuxSandboxSecurityContext
            {
                NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
            },
        },
    };

    private static async Task<string> Create(RuntimeService.RuntimeServiceClient cri, string pod, PodSandboxConfig sandboxConfig, string name, params string[] command)
    {
        // The client as a restricted pod's container (seccompProfile RuntimeDefault: containerd's default profile in
        // config.json); the server unconfined, the CRI's default when the kubelet names none.
        var seccomp = new SecurityProfile { ProfileType = name == "client" ? SecurityProfile.Types.ProfileType.RuntimeDefault : SecurityProfile.Types.ProfileType.Unconfined };
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = name },
            Image = new ImageSpec { Image = CriContainerd.BusyboxImage },
            Linux = new LinuxContainerConfig
            {
                SecurityContext = new LinuxContainerSecurityContext
                {
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
                    Seccomp = seccomp,
                },
            },
        };
        config.Command.AddRange(command);
        return (await cri.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = pod, Config = config, SandboxConfig = sandboxConfig })).ContainerId;
    }

    private static async Task<ExecSyncResponse> Exec(RuntimeService.RuntimeServiceClient cri, string id, params string[] cmd)
    {
        var request = new ExecSyncRequest { ContainerId = id, Timeout = 10 };
        request.Cmd.AddRange(cmd);
        return await cri.ExecSyncAsync(request);
    }

    private static string RuntimeEntry(CriContainerd containerd) =>
        string.Join("\n", File.ReadAllLines(Path.Combine(containerd.Dir, "config.toml"))
            .SkipWhile(l => !l.Contains($"runtimes.{CriContainerd.Handler}]")).TakeWhile(l => !l.Contains(".cni]") && !l.Contains("# The control")).Select(l => "    " + l.Trim()));

    private static string Cmdline(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').TrimEnd(); }
        catch (Exception) { return ""; }
    }

    private static int ParentOf(int pid) =>
        int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ')[1]);
}
