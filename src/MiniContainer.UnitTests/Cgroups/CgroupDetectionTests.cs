using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups;


public sealed class CgroupDetectionTests
{
    /// <summary>A typical pure-v2 host (Ubuntu 22.04+, Fedora, Debian 12 defaults).</summary>
    private const string UnifiedHost = """
        22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        26 28 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=4000000k,nr_inodes=1000000,mode=755
        28 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
        35 22 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """;

    /// <summary>A systemd hybrid host: cpu,cpuacct and net_cls,net_prio co-mounted, name=systemd, controller-less unified.</summary>
    private const string HybridHost = """
        25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        31 25 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        32 31 0:28 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
        33 31 0:29 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
        36 31 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
        37 31 0:33 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,net_cls,net_prio
        38 31 0:34 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory
        39 31 0:35 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,pids
        40 31 0:36 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,freezer
        41 31 0:37 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,cpuset,clone_children
        """;

    /// <summary>The build machines: separate cpu and cpuacct hierarchies, no optional fields.</summary>
    private const string BuildHost = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    [Fact]
    public void Cgroup2_at_sys_fs_cgroup_is_v2()
    {
        CgroupFs fs = CgroupFs.FromMountInfo(UnifiedHost);
        Assert.Equal(CgroupVersion.V2, fs.Version);
        Assert.Equal("/sys/fs/cgroup", fs.UnifiedMount);
        Assert.Equal(CgroupVersion.V2, CgroupManager.DetectVersionFromMountInfo(UnifiedHost));
        Assert.IsType<CgroupV2>(CgroupManager.Open("minicontainer/x", fs));
    }

    [Fact]
    public void Hybrid_host_is_v1_with_co_mounted_controllers_mapped_to_one_directory()
    {
        CgroupFs fs = CgroupFs.FromMountInfo(HybridHost);
        Assert.Equal(CgroupVersion.V1, fs.Version);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", fs.MountOf("cpu"));
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", fs.MountOf("cpuacct"));
        Assert.Equal("/sys/fs/cgroup/memory", fs.MountOf("memory"));
        Assert.Equal("/sys/fs/cgroup/net_cls,net_prio", fs.MountOf("net_prio"));
        Assert.Equal("/sys/fs/cgroup/cpuset", fs.MountOf("cpuset"));
        Assert.Null(fs.MountOf("systemd"));
        Assert.Null(fs.MountOf("name=systemd"));
        Assert.Null(fs.MountOf("clone_children"));
        Assert.Equal("/sys/fs/cgroup/unified", fs.UnifiedMount);

        var cg = (CgroupV1)CgroupManager.Open("minicontainer/x", fs);
        Assert.Equal(["/sys/fs/cgroup/memory/minicontainer/x", "/sys/fs/cgroup/cpu,cpuacct/minicontainer/x",
                      "/sys/fs/cgroup/pids/minicontainer/x", "/sys/fs/cgroup/freezer/minicontainer/x",
                      "/sys/fs/cgroup/cpuset/minicontainer/x"], cg.Directories);
    }

    [Fact]
    public void Build_host_is_v1_with_separate_cpu_and_cpuacct()
    {
        CgroupFs fs = CgroupFs.FromMountInfo(BuildHost);
        Assert.Equal(CgroupVersion.V1, fs.Version);
        Assert.Equal("/sys/fs/cgroup/cpu", fs.MountOf("cpu"));
        Assert.Equal("/sys/fs/cgroup/cpuacct", fs.MountOf("cpuacct"));
        Assert.Equal(5, CgroupManager.Open("minicontainer/x", fs).Directories.Count);
    }

    [Fact]
    public void A_later_cgroup2_mount_over_sys_fs_cgroup_wins()
    {
        // e.g. a container runtime that mounted a fresh cgroup2 over an inherited tmpfs
        string text = BuildHost + "\n99 31 0:60 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n";
        Assert.Equal(CgroupVersion.V2, CgroupFs.FromMountInfo(text).Version);
    }

    [Fact]
    public void Only_a_cgroup2_mount_elsewhere_means_v2_there()
    {
        const string text = "50 22 0:40 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        CgroupFs fs = CgroupFs.FromMountInfo(text);
        Assert.Equal((CgroupVersion.V2, "/sys/fs/cgroup/unified"), (fs.Version, fs.UnifiedMount));
    }

    [Fact]
    public void Escaped_mount_points_are_decoded()
    {
        const string text = @"60 22 0:41 / /mnt/my\040cgroups/memory rw - cgroup cgroup rw,memory" + "\n";
        Assert.Equal("/mnt/my cgroups/memory", CgroupFs.FromMountInfo(text).MountOf("memory"));
    }

    [Fact]
    public void No_cgroup_mount_is_a_clear_error()
    {
        var e = Assert.Throws<CgroupException>(() => CgroupFs.FromMountInfo(UnifiedHost.Replace("cgroup2 cgroup2", "tmpfs tmpfs")));
        Assert.Contains("no cgroup filesystem is mounted", e.Message);
    }

    [Fact]
    public void Names_that_could_escape_the_hierarchy_are_refused()
    {
        var fs = CgroupFs.V2("/sys/fs/cgroup");
        foreach (string bad in new[] { "", "/etc", "minicontainer/../../etc", "minicontainer//x", "minicontainer/." })
            Assert.Throws<ArgumentException>(() => CgroupManager.Open(bad, fs));
        Assert.Equal("minicontainer/abc", CgroupManager.Open(CgroupManager.NameFor("abc"), fs).Name);
    }

    [Fact]
    public void This_host_is_detected_the_same_way_by_statfs_and_by_mountinfo()
    {
        if (!Directory.Exists("/sys/fs/cgroup")) return;
        Assert.Equal(CgroupFs.Detect().Version, CgroupManager.DetectVersion());
    }
}
