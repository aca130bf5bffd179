using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>A daemon with --userns-remap default: container root is host uid 100000, yet sees the image's files as its own.</summary>
public sealed class UserNamespaceFixture : IDisposable
{
    public Daemon Daemon { get; } = new("--userns-remap", "default");
    public void Dispose() => Daemon.Dispose();
}

public sealed class UserNamespaceTests(UserNamespaceFixture fixture, ITestOutputHelper output) : IClassFixture<UserNamespaceFixture>
{
    private readonly Daemon _d = fixture.Daemon;

    [Fact]
    public void Root_inside_is_uid_100000_outside_and_owns_the_image_files()
    {
        var r = _d.Run("run", "--rm", "busybox", "sh", "-c",
            "id -u; cat /proc/self/uid_map; stat -c '%u:%g' /etc/passwd /bin/busybox; echo data > /etc/newfile && stat -c '%u' /etc/newfile; rm /bin/ls && echo removed");
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Stdout.Lines();
        Assert.Equal("0", lines[0]);
        Assert.Equal(new[] { "0", "100000", "65536" }, lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("0:0", lines[2]);   // root-owned in the image, root-owned inside (id-mapped layers)
        Assert.Equal("0:0", lines[3]);
        Assert.Equal("0", lines[4]);     // a file root creates is root's
        Assert.Equal("removed", lines[5]);
    }

    [Fact]
    public void The_process_runs_as_the_remapped_uid_on_the_host_and_exec_joins_its_user_namespace()
    {
        string name = "userns-" + Guid.NewGuid().ToString("N")[..6];
        _d.Run("run", "-d", "--name", name, "busybox", "sleep", "300").Ok();
        try
        {
            int pid = int.Parse(_d.Run("inspect", "-f", "{{.State.Pid}}", name).Ok().Stdout.Trim());
            string hostUid = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            Assert.Equal("100000", hostUid);

            var exec = _d.Run("exec", name, "sh", "-c", "id -u; cat /proc/self/uid_map; [ \"$(readlink /proc/1/ns/user)\" = \"$(readlink /proc/self/ns/user)\" ] && echo same-userns");
            output.WriteLine(exec.ToString());
            Assert.Equal(0, exec.ExitCode);
            Assert.Equal("0", exec.Stdout.Lines()[0]);
            Assert.Contains("100000", exec.Stdout.Lines()[1]);
            Assert.Equal("same-userns", exec.Stdout.Lines()[2]);
        }
        finally { _d.Run("rm", "-f", name); }
    }

    [Fact]
    public void Userns_host_opts_a_container_out_and_a_bad_mode_is_refused()
    {
        var host = _d.Run("run", "--rm", "--userns=host", "busybox", "cat", "/proc/self/uid_map").Ok();
        Assert.Equal(new[] { "0", "0", "4294967295" }, host.Stdout.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var bad = _d.Run("run", "--rm", "--userns=bogus", "busybox", "true");
        Assert.Equal(125, bad.ExitCode);
        Assert.Contains("invalid USER mode: bogus", bad.Stderr);
    }
}

/// <summary>
/// Id-mapped layers need a file system the kernel can id-map. The VM lane's data root is tmpfs on Linux 6.1, which
/// cannot be: there a user-namespaced run must fail with a message that says so and names the way out, and
/// --userns=host must still run. Where the data root can be id-mapped (the host lane), the same run works.
/// </summary>
[Trait("Lane", "vm")]
public sealed class UserNamespaceDataRootTests(UserNamespaceFixture fixture, ITestOutputHelper output) : IClassFixture<UserNamespaceFixture>
{
    [Fact]
    public void A_data_root_that_cannot_be_id_mapped_gives_a_clear_error_and_userns_host_still_runs()
    {
        var d = fixture.Daemon;
        bool tmpfs = Daemon.Exec("stat", ["-f", "-c", "%T", d.DataRoot]).Ok().Stdout.Trim() == "tmpfs";
        var release = Environment.OSVersion.Version;
        bool cannotIdmap = tmpfs && (release.Major, release.Minor).CompareTo((6, 3)) < 0;
        output.WriteLine($"data root on {(tmpfs ? "tmpfs" : "another file system")}, kernel {release}: id-mapping {(cannotIdmap ? "impossible" : "possible")}");

        var r = d.Run("run", "--rm", "busybox", "id", "-u");
        output.WriteLine(r.ToString());
        if (cannotIdmap)
        {
            Assert.Equal(125, r.ExitCode);
            Assert.Contains("does not support id-mapped mounts", r.Stderr);
            Assert.Contains("--userns=host", r.Stderr);
            Assert.Equal("0\n", d.Run("run", "--rm", "--userns=host", "busybox", "id", "-u").Ok().Stdout);
        }
        else Assert.Equal("0\n", r.Ok().Stdout);
    }
}
