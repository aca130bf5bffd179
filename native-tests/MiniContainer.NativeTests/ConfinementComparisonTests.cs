using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// A default container here is held at least as tightly as under Docker's defaults. secprobe makes each raw call from
/// inside a default container; the test prints our answer next to what Docker 20.10.24 (Debian's docker.io, its
/// defaults) answered to the same probe on this machine, and fails on any row where Docker refused and we did not.
/// The Docker column is re-measured live by `sudo scripts/bench.sh confinement`, which prints the same table.
/// </summary>
[Trait("Lane", "vm")]  // also run in the pure-cgroup-v2 VM by scripts/vm-test.sh
public sealed class ConfinementComparisonTests(DaemonFixture fixture, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    /// <summary>secprobe's arguments, and Docker 20.10.24's answer to each check (scripts/bench.sh confinement,
    /// 2026-12-04, kernel 6.1, cgroup v1 hybrid).</summary>
    private static readonly string[] Checks =
    [
        "status", "userns", "userns-mount", "mount", "keyctl", "add_key", "request_key", "clone3", "userfaultfd", "kexec",
        "pivot_root", "swapon", "bpf", "perf_event_open", "ptrace", "personality", "acct", "reboot", "init_module", "open_by_handle",
        "dev", "c", "1:3", "dev", "c", "1:5", "dev", "c", "1:8", "dev", "c", "5:0", "dev", "c", "7:0", "dev", "c", "4:1",
        "dev", "c", "10:229", "dev", "c", "10:237", "dev", "b", "7:0",
        "ls", "/sys/firmware", "open", "/proc/keys", "open", "/proc/timer_list", "write", "/proc/sys/kernel/hostname",
    ];

    private static readonly Dictionary<string, string> Docker = new()
    {
        ["CapEff"] = "00000000a80425fb", ["CapBnd"] = "00000000a80425fb", ["NoNewPrivs"] = "0", ["Seccomp"] = "2",
        ["userns"] = "EPERM", ["userns-mount"] = "EPERM", ["mount"] = "EPERM", ["keyctl"] = "EPERM", ["add_key"] = "EPERM",
        ["request_key"] = "EPERM", ["clone3"] = "ENOSYS", ["userfaultfd"] = "EPERM", ["kexec"] = "EPERM", ["pivot_root"] = "EPERM",
        ["swapon"] = "EPERM", ["bpf"] = "EPERM", ["perf_event_open"] = "EPERM", ["ptrace"] = "EPERM", ["personality"] = "EPERM",
        ["acct"] = "EPERM", ["reboot"] = "EPERM", ["init_module"] = "EPERM", ["open_by_handle"] = "EPERM",
        ["mknod c 1:3"] = "ok", ["open c 1:3"] = "ok", ["mknod c 1:5"] = "ok", ["open c 1:5"] = "ok", ["mknod c 1:8"] = "ok",
        ["open c 1:8"] = "ok", ["mknod c 5:0"] = "ok", ["open c 5:0"] = "ENXIO", ["mknod c 7:0"] = "ok", ["open c 7:0"] = "EPERM",
        ["mknod c 4:1"] = "ok", ["open c 4:1"] = "EPERM", ["mknod c 10:229"] = "ok", ["open c 10:229"] = "EPERM",
        ["mknod c 10:237"] = "ok", ["open c 10:237"] = "EPERM", ["mknod b 7:0"] = "ok", ["open b 7:0"] = "EPERM",
        ["ls /sys/firmware"] = "ok (0 entries)", ["open /proc/keys"] = "ok (0 bytes)", ["open /proc/timer_list"] = "ok (0 bytes)",
        ["write /proc/sys/kernel/hostname"] = "EROFS",
    };

    [Fact]
    public void A_default_container_is_held_at_least_as_tightly_as_under_dockers_defaults()
    {
        var ours = SystemPathsTests.ParseProbe(_d.Run(new[] { "run", "--rm", "mc-probe", "secprobe" }.Concat(Checks).ToArray()).Ok().Stdout);
        var looser = new List<string>();
        output.WriteLine($"{"check",-34} {"MiniContainer",-16} Docker 20.10");
        foreach (var (check, docker) in Docker)
        {
            string mine = ours.TryGetValue(check, out var v) ? v : "(missing)";
            bool ok = AtLeastAsTight(check, mine, docker);
            output.WriteLine($"{check,-34} {mine,-16} {docker}{(ok ? "" : "   <-- looser")}");
            if (!ok) looser.Add($"{check}: ours {mine}, Docker's {docker}");
        }
        Assert.True(looser.Count == 0, "looser than Docker's defaults:\n" + string.Join("\n", looser));
    }

    /// <summary>Ours is as tight when Docker's refusal is a refusal here too, a masked path is masked, no capability is
    /// added, and the seccomp and no_new_privs modes are no weaker.</summary>
    private static bool AtLeastAsTight(string check, string ours, string docker) => check switch
    {
        "CapEff" or "CapBnd" => (Convert.ToUInt64(ours, 16) & ~Convert.ToUInt64(docker, 16)) == 0,
        "Seccomp" or "NoNewPrivs" => int.Parse(ours) >= int.Parse(docker),
        _ when docker.StartsWith('E') => ours.StartsWith('E') || ours.StartsWith("read-E"),
        _ when docker.StartsWith("ok (0 ") => ours.StartsWith("ok (0 ") || ours.StartsWith('E'),
        _ => ours != "(missing)",
    };
}
