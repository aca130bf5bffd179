using MiniContainer.Cgroups;
using MiniContainer.Inspection;
using MiniContainer.Linux.Netlink;
using MiniContainer.UnitTests.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Inspection;

/// <summary>The pure decoders behind `inspect --kernel`, fed lines recorded from a real /proc and cgroupfs.</summary>
public class KernelViewDecoderTests
{
    [Fact]
    public void Dockers_default_capability_mask_decodes_to_its_fourteen_names()
    {
        // CapEff of a default Docker (and MiniContainer) container.
        var names = ProcDecoders.CapabilityNames("00000000a80425fb");
        Assert.Equal(["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE",
                      "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"], names);
    }

    [Fact]
    public void Capability_bits_map_to_linux_numbers_and_unknown_bits_are_kept()
    {
        Assert.Equal(["SYS_ADMIN"], ProcDecoders.CapabilityNames("0000000000200000"));          // bit 21
        Assert.Equal(["CHECKPOINT_RESTORE"], ProcDecoders.CapabilityNames("0000010000000000"));  // bit 40
        Assert.Equal(["CAP_41"], ProcDecoders.CapabilityNames("0000020000000000"));              // a newer kernel's
        Assert.Empty(ProcDecoders.CapabilityNames("0000000000000000"));
        Assert.Equal(41, ProcDecoders.CapabilityNames("000001ffffffffff").Count);
    }

    [Fact]
    public void Status_fields_seccomp_mode_and_innermost_pid()
    {
        var f = ProcDecoders.StatusFields("Name:\tsleep\nNSpid:\t17456\t1\nSeccomp:\t2\nSeccomp_filters:\t1\nNoNewPrivs:\t0\n");
        Assert.Equal("sleep", f["Name"]);
        Assert.Equal(1, ProcDecoders.InnermostPid(f["NSpid"]));
        Assert.Equal("filter", ProcDecoders.SeccompMode(f["Seccomp"]));
        Assert.Equal("disabled", ProcDecoders.SeccompMode("0"));
        Assert.Equal("strict", ProcDecoders.SeccompMode("1"));
    }

    [Fact]
    public void Id_maps_and_namespace_links()
    {
        Assert.Equal([new IdMapRange(0, 100000, 65536)], ProcDecoders.IdMap("         0     100000      65536\n"));
        Assert.Equal([new IdMapRange(0, 0, 4294967295)], ProcDecoders.IdMap("         0          0 4294967295\n"));
        Assert.Equal(4026531840UL, ProcDecoders.NamespaceInode("net:[4026531840]"));
        Assert.Throws<FormatException>(() => ProcDecoders.NamespaceInode("net"));
    }

    [Fact]
    public void Mountinfo_lines_keep_per_mount_and_super_options_and_unescape_paths()
    {
        string text =
            "1201 1190 0:112 / / rw,relatime - overlay overlay rw,lowerdir=/d/layers/a/diff:/d/layers/b/diff,upperdir=/d/c/up\\040x,workdir=/d/c/work\n" +
            "1202 1201 0:115 / /proc rw,nosuid,nodev,noexec,relatime shared:5 master:1 - proc proc rw\n" +
            "1210 1201 254:0 /var/lib/x/hosts /etc/hosts ro,relatime - ext4 /dev/vda rw\n";
        var mounts = ProcDecoders.Mounts(text);
        Assert.Equal(["/", "/proc", "/etc/hosts"], mounts.Select(m => m.MountPoint));
        Assert.Equal(["rw", "nosuid", "nodev", "noexec", "relatime"], mounts[1].Options);   // optional fields skipped
        Assert.Equal("/var/lib/x/hosts", mounts[2].Root);
        Assert.Equal("/dev/vda", mounts[2].Source);

        var rootfs = KernelReader.Rootfs(mounts, "/d/c/merged")!;
        Assert.Equal(["/d/layers/a/diff", "/d/layers/b/diff"], rootfs.LowerDirs.Select(d => d.Path));
        Assert.Equal("/d/c/up x", rootfs.UpperDir.Path);   // \040 is a space
        Assert.Equal("/d/c/work", rootfs.WorkDir.Path);
        Assert.Null(rootfs.UpperDir.Bytes);                 // no such directory here: not measured, never invented
        Assert.Null(KernelReader.Rootfs(mounts.Skip(1).ToList(), null));
    }

    [Fact]
    public void Cgroup_v1_lines_find_each_controllers_directory_and_its_files()
    {
        using var fake = new FakeCgroupFs();
        string id = "/minicontainer/abc";
        fake.File("memory" + id + "/memory.limit_in_bytes", "33554432\n")
            .File("memory" + id + "/memory.usage_in_bytes", "241664\n")
            .File("pids" + id + "/pids.max", "50\n")
            .File("pids" + id + "/pids.current", "1\n");
        var fs = CgroupFs.V1Layout(fake.Root, "memory", "pids", "cpu,cpuacct");
        var view = CgroupFiles.Read($"12:pids:{id}\n5:memory:{id}\n3:cpu,cpuacct:/\n1:name=systemd:/\n0::/\n", fs);

        Assert.Equal("v1", view.Version);
        Assert.Equal(fake.PathOf("memory" + id), view.Hierarchies.Single(h => h.Controllers == "memory").Directory);
        Assert.Equal(fake.PathOf("cpu,cpuacct"), view.Hierarchies.Single(h => h.Controllers == "cpu,cpuacct").Directory);
        Assert.Null(view.Hierarchies.Single(h => h.Controllers == "name=systemd").Directory);
        Assert.Equal([("memory.limit_in_bytes", "33554432", "limit"), ("memory.usage_in_bytes", "241664", "usage"),
                      ("pids.max", "50", "limit"), ("pids.current", "1", "usage")],
            view.Files.Select(f => (f.File, f.Value, f.Role)));   // only files that exist
    }

    [Fact]
    public void Cgroup_v2_reads_the_unified_directory_and_joins_multi_line_files()
    {
        using var fake = new FakeCgroupFs();
        fake.File("minicontainer/abc/memory.max", "33554432\n")
            .File("minicontainer/abc/cpu.max", "50000 100000\n")
            .File("minicontainer/abc/cpu.stat", "usage_usec 120\nuser_usec 100\n");
        var view = CgroupFiles.Read("0::/minicontainer/abc\n", CgroupFs.V2(fake.Root));
        Assert.Equal("v2", view.Version);
        Assert.Equal(fake.PathOf("minicontainer/abc"), view.Hierarchies.Single().Directory);
        Assert.Equal("50000 100000", view.Files.Single(f => f.File == "cpu.max").Value);
        Assert.Equal("usage_usec 120; user_usec 100", view.Files.Single(f => f.File == "cpu.stat").Value);
    }

    [Fact]
    public void Netlink_address_and_route_replies_parse()
    {
        // RTM_NEWADDR payload: ifaddrmsg {AF_INET, /24, flags, scope, index 2}, IFA_ADDRESS and IFA_LOCAL 10.231.0.2.
        byte[] addr = [2, 24, 0x80, 0, 2, 0, 0, 0, 8, 0, 1, 0, 10, 231, 0, 2, 8, 0, 2, 0, 10, 231, 0, 2];
        Assert.Equal(new AddressInfo(2, "10.231.0.2", 24), NetlinkReply.ParseAddress(addr));

        // RTM_NEWROUTE payload: rtmsg {AF_INET, dst_len 0, 0, 0, main, boot, universe, unicast, flags}, RTA_GATEWAY, RTA_OIF 2.
        byte[] route = [2, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0, 8, 0, 5, 0, 10, 231, 0, 1, 8, 0, 4, 0, 2, 0, 0, 0];
        Assert.Equal(new RouteInfo("default", "10.231.0.1", 2, null, 254, 0, 1), NetlinkReply.ParseRoute(route));

        // A link with IFLA_LINK 7627: a veth's peer index.
        byte[] link = [0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 3, 0, (byte)'e', (byte)'t', (byte)'h', (byte)'0', 0, 0, 0, 0, 8, 0, 5, 0, 0xcb, 0x1d, 0, 0];
        var l = NetlinkReply.ParseLink(link);
        Assert.Equal(("eth0", 2, 7627), (l.Name, l.Index, l.PeerIndex));
    }
}

/// <summary>`inspect --kernel`'s text view: one section per kernel object, each with its one-line explanation.</summary>
public class KernelViewTextTests
{
    [Fact]
    public void Each_section_is_explained_and_shows_the_documents_values()
    {
        var view = new KernelView("2d590d7c7e965acc115cc9236b6978c7", "web", 17456, 1,
            [new NamespaceView("net", 4026532254, 4026531833, false), new NamespaceView("user", 4026531837, 4026531837, true)],
            "/proc/1/ns",
            new CgroupView("v2", [new CgroupHierarchyView("", "/minicontainer/2d59", "/sys/fs/cgroup/minicontainer/2d59")],
                [new CgroupFileView("memory", "memory.max", "/sys/fs/cgroup/minicontainer/2d59/memory.max", "33554432", "limit", "most memory")]),
            new NetworkView(false,
                [new InterfaceView("eth0", 2, "veth", "02:42:0a:e7:00:02", true, ["10.231.0.2/24"], 7627,
                    new VethHostEnd("mcv9eb7cb8b", 7627, "d2:96:6a:21:ca:8e", 2, "minicontainer0", 7625))],
                [new RouteView("default", "10.231.0.1", "eth0", null, 254)]),
            new RootfsView("overlay", [new DirectoryView("/l/diff", 2_000_000)], new DirectoryView("/c/upper", 0), new DirectoryView("/c/work", 0), new DirectoryView("/c/merged", null)),
            [new MountView("/", "overlay", "overlay", "/", ["rw", "relatime"], [])],
            new SecurityView(["CHOWN", "KILL"], ["CHOWN", "KILL"], ["CHOWN", "KILL"], [], [], "filter", 1, true, [new IdMapRange(0, 100000, 65536)], []));

        string text = MiniContainer.Cli.Output.KernelViewText.Render(view);

        foreach (string section in new[] { "Namespaces", "Cgroup", "Network", "Root file system", "Mounts", "Security", "User namespace id maps" })
            Assert.Matches($"\n{section}\n  # .+\n", text);
        Assert.Contains("net                4026532254   4026531833    its own", text);
        Assert.Contains("shared with the host", text);
        Assert.Contains("memory.max                     33554432", text);
        Assert.Contains("eth0 (ifindex 2, veth, peer ifindex 7627, up) mac 02:42:0a:e7:00:02 inet 10.231.0.2/24", text);
        Assert.Contains("peer on the host: mcv9eb7cb8b (ifindex 7627, mac d2:96:6a:21:ca:8e) on bridge minicontainer0", text);
        Assert.Contains("route default via 10.231.0.1 dev eth0", text);
        Assert.Contains("lower  /l/diff  2MB", text);
        Assert.Contains("seccomp      filter (1 filter)", text);
        Assert.Contains("no_new_privs 1", text);
        Assert.Contains("uid 0 -> 100000 (65536)", text);
    }
}
