namespace MiniContainer.Shim.Oci;

/// <summary>
/// `spec`: a starting config.json, as `runc spec` writes one, with only what minicontainer-runc honours: a shell on a
/// terminal in new pid, network, ipc, uts, mount and cgroup namespaces, three capabilities, a read-only rootfs, no
/// devices but the default ones, Docker's masked and read-only paths. (No ambient set: the kernel would not raise it
/// without the inheritable one, see docs/oci-runtime.md.)
/// </summary>
public static class OciSpecTemplate
{
    public static void Write(string bundleDir)
    {
        string file = Path.Combine(bundleDir, "config.json");
        if (File.Exists(file)) throw new OciConfigException("File config.json exists. Remove it first");
        File.WriteAllText(file, Json);
    }

    private const string Caps = """["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]""";

    public const string Json = $$"""
        {
          "ociVersion": "{{OciBundle.SpecVersion}}",
          "process": {
            "terminal": true,
            "user": {"uid": 0, "gid": 0},
            "args": ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {"bounding": {{Caps}}, "effective": {{Caps}}, "permitted": {{Caps}}},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
          },
          "root": {"path": "rootfs", "readonly": true},
          "hostname": "minicontainer",
          "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
          ],
          "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
          }
        }

        """;
}
