using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>Reading host device nodes as dockerd does (every Linux host has /dev/null and /dev/zero).</summary>
public sealed class HostDevicesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-hostdev-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_device_node_is_described_with_its_type_numbers_mode_and_owner()
    {
        DeviceNodeSpec zero = Assert.Single(HostDevices.FromPath("/dev/zero", "/dev/myzero"));
        Assert.Equal("/dev/myzero", zero.Path);
        Assert.Equal("/dev/zero", zero.HostPath);
        Assert.Equal('c', zero.Type);
        Assert.Equal((1u, 5u), (zero.Major, zero.Minor));
        Assert.Equal(Convert.ToUInt32("666", 8), zero.FileMode);
        Assert.Equal("allow c 1:5 r", zero.Rule("r").ToString());
    }

    [Fact]
    public void A_symlink_to_a_device_is_followed()
    {
        File.CreateSymbolicLink(Path.Combine(_dir, "link"), "/dev/null");
        DeviceNodeSpec node = Assert.Single(HostDevices.FromPath(Path.Combine(_dir, "link"), "/dev/n"));
        Assert.Equal((1u, 3u, "/dev/null"), (node.Major, node.Minor, node.HostPath));
    }

    [Fact]
    public void A_missing_path_gets_dockers_error()
    {
        var e = Assert.Throws<IOException>(() => HostDevices.FromPath("/dev/nope-mc", "/dev/nope-mc"));
        Assert.Equal("error gathering device information while adding custom device \"/dev/nope-mc\": no such file or directory", e.Message);
    }

    [Fact]
    public void A_regular_file_or_a_directory_without_devices_is_not_a_device()
    {
        File.WriteAllText(Path.Combine(_dir, "f"), "x");
        Assert.EndsWith(": not a device node", Assert.Throws<IOException>(() => HostDevices.FromPath(Path.Combine(_dir, "f"), "/dev/f")).Message);
        Assert.EndsWith(": not a device node", Assert.Throws<IOException>(() => HostDevices.FromPath(_dir, "/dev/d")).Message);
    }

    [Fact]
    public void Every_host_device_for_privileged_skips_console_pts_and_symlinks()
    {
        List<DeviceNodeSpec> all = HostDevices.All();
        Assert.Contains(all, d => d.Path == "/dev/null" && d.Major == 1 && d.Minor == 3);
        Assert.DoesNotContain(all, d => d.Path == "/dev/console" || d.Path.StartsWith("/dev/pts/") || d.Path.StartsWith("/dev/shm/"));
        Assert.DoesNotContain(all, d => d.Path == "/dev/stdin" || d.Path == "/dev/fd");
        Assert.All(all, d => Assert.True(d.Type is 'c' or 'b'));
    }
}
