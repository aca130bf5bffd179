using System.Diagnostics;
using MiniContainer.Cgroups;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests.Cgroups;

/// <summary>
/// The device rules against the real kernel, without a container: a shell moved into a cgroup with Docker's rules
/// may mknod any node but open only the allowed ones. On the host's own cgroup version (v1 devices files here, the
/// BPF program in the VM lane), and on a hybrid host also through the controller-less cgroup2 mount, where device
/// programs work as on a pure v2 host: the BPF path is proven on this machine too.
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh
public sealed class DeviceCgroupNativeTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<ICgroup> _created = [];
    private readonly List<CgroupFs> _parentsToPrune = [];
    private readonly string _tmp = Directory.CreateTempSubdirectory("mc-devcg-").FullName;

    public void Dispose()
    {
        foreach (ICgroup cg in _created) cg.Destroy();
        foreach (CgroupFs fs in _parentsToPrune) CgroupManager.RemoveParentIfEmpty(fs);
        Directory.Delete(_tmp, recursive: true);
        foreach (ICgroup cg in _created)
            foreach (string dir in cg.Directories) Assert.False(Directory.Exists(dir), $"left behind: {dir}");
    }

    private ICgroup NewCgroup(CgroupFs fs)
    {
        ICgroup cg = CgroupManager.Open(CgroupManager.NameFor("test-" + Guid.NewGuid().ToString("N")[..12]), fs);
        if (!cg.Directories.All(d => Directory.Exists(Path.GetDirectoryName(d)))) _parentsToPrune.Add(fs);
        _created.Add(cg);
        cg.Create();
        return cg;
    }

    public static TheoryData<string> Hierarchies => new() { "host", "cgroup2" };

    /// <summary>The host's hierarchies, or the cgroup2 one alone (pure v2: the same; hybrid: the unified mount).</summary>
    internal static CgroupFs? FsFor(string which) => which == "host" ? CgroupFs.Host
        : CgroupFs.Host.UnifiedMount is { } unified ? CgroupFs.V2(unified) : null;

    /// <summary>Runs <paramref name="script"/> in sh inside <paramref name="cg"/> and returns its output.</summary>
    private string RunInside(ICgroup cg, string script)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("read go; " + script);
        using Process p = Process.Start(psi)!;
        cg.AddProcess(p.Id);
        p.StandardInput.WriteLine("go");
        p.StandardInput.Close();
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(20_000));
        output.WriteLine($"{cg}:\n{stdout}{stderr}");
        return stdout;
    }

    /// <summary>
    /// Each check prints "NAME ok", "NAME denied" (EPERM: the device cgroup) or "NAME other" (the driver's own error,
    /// e.g. no such device): mknod of vcs (7:0), fuse and null in a temp dir, opening each read-only, and /dev/zero.
    /// </summary>
    private string Checks() =>
        "check() { if err=$(\"$@\" 2>&1); then echo ok; else case $err in *'not permitted'*) echo denied;; *) echo other;; esac; fi; }; " +
        $"d={_tmp}; " +
        "for n in vcs:7:0 fuse:10:229 null:1:3; do name=${n%%:*}; mm=${n#*:}; " +
        "  echo mknod-$name $(check mknod $d/$name c ${mm%:*} ${mm#*:}); " +
        "  echo open-$name $(check sh -c \"exec < $d/$name\"); rm -f $d/$name; done; " +
        "echo open-zero $(check sh -c 'exec < /dev/zero')";

    private static Dictionary<string, string> Parse(string stdout) =>
        stdout.Lines().Select(l => l.Split(' ')).Where(w => w.Length == 2).ToDictionary(w => w[0], w => w[1]);

    [Theory]
    [MemberData(nameof(Hierarchies))]
    public void Dockers_rules_let_the_standard_nodes_open_and_nothing_else(string which)
    {
        if (FsFor(which) is not { } fs) { output.WriteLine("no cgroup2 mount on this host"); return; }
        ICgroup cg = NewCgroup(fs);
        cg.Apply(new ResourceLimits { DeviceRules = DockerDeviceRules.For(false, []) });
        var seen = Parse(RunInside(cg, Checks()));
        Assert.Equal("ok", seen["mknod-vcs"]);
        Assert.Equal("denied", seen["open-vcs"]);
        Assert.Equal("ok", seen["mknod-fuse"]);
        Assert.Equal("denied", seen["open-fuse"]);
        Assert.Equal("ok", seen["open-null"]);
        Assert.Equal("ok", seen["open-zero"]);
    }

    [Theory]
    [MemberData(nameof(Hierarchies))]
    public void A_container_rule_opens_its_device_and_privileged_opens_all(string which)
    {
        if (FsFor(which) is not { } fs) { output.WriteLine("no cgroup2 mount on this host"); return; }
        ICgroup withRule = NewCgroup(fs);
        withRule.Apply(new ResourceLimits { DeviceRules = DockerDeviceRules.For(false, [DeviceRule.Parse("c 7:0 r")]) });
        var seen = Parse(RunInside(withRule, Checks()));
        Assert.NotEqual("denied", seen["open-vcs"]);
        Assert.Equal("denied", seen["open-fuse"]);

        ICgroup privileged = NewCgroup(fs);
        privileged.Apply(new ResourceLimits { DeviceRules = DockerDeviceRules.For(true, []) });
        seen = Parse(RunInside(privileged, Checks()));
        Assert.NotEqual("denied", seen["open-vcs"]);
        Assert.NotEqual("denied", seen["open-fuse"]);
    }
}

/// <summary>
/// What the device rules cost per container (Apply with and without them, on fresh cgroups). Not in the VM lane:
/// under its emulated CPU the numbers mean nothing.
/// </summary>
public sealed class DeviceCgroupCostTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<ICgroup> _created = [];
    private readonly List<CgroupFs> _parentsToPrune = [];

    public void Dispose()
    {
        foreach (ICgroup cg in _created) cg.Destroy();
        foreach (CgroupFs fs in _parentsToPrune) CgroupManager.RemoveParentIfEmpty(fs);
    }

    private ICgroup NewCgroup(CgroupFs fs)
    {
        ICgroup cg = CgroupManager.Open(CgroupManager.NameFor("test-" + Guid.NewGuid().ToString("N")[..12]), fs);
        if (!cg.Directories.All(d => Directory.Exists(Path.GetDirectoryName(d)))) _parentsToPrune.Add(fs);
        _created.Add(cg);
        cg.Create();
        return cg;
    }

    private static CgroupFs? FsFor(string which) => DeviceCgroupNativeTests.FsFor(which);

    [Theory]
    [MemberData(nameof(DeviceCgroupNativeTests.Hierarchies), MemberType = typeof(DeviceCgroupNativeTests))]
    public void Applying_the_rules_costs_less_than_the_3_ms_budget(string which)
    {
        if (FsFor(which) is not { } fs) { output.WriteLine("no cgroup2 mount on this host"); return; }
        var rules = DockerDeviceRules.For(false, []);
        NewCgroup(fs).Apply(new ResourceLimits { DeviceRules = rules });   // warm-up: this test process is JIT-compiled, the shim is not
        const int N = 21;
        var with = new List<double>();
        var without = new List<double>();
        for (int i = 0; i < N; i++)
        {
            ICgroup a = NewCgroup(fs), b = NewCgroup(fs);
            var clock = Stopwatch.StartNew();
            a.Apply(new ResourceLimits { DeviceRules = rules });
            with.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            b.Apply(new ResourceLimits());
            without.Add(clock.Elapsed.TotalMilliseconds);
        }
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        double cost = Median(with) - Median(without);
        output.WriteLine($"{fs}: Apply with Docker's device rules: median {Median(with):0.000} ms (min {with.Min():0.000}, max {with.Max():0.000}), " +
                         $"without: {Median(without):0.000} ms: the device rules cost {cost:0.000} ms per container");
        Assert.True(cost < 3, $"device rules cost {cost:0.000} ms per container");
    }
}
