using MiniContainer.Linux;
using MiniContainer.Runtime;
using MiniContainer.Shim;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>
/// What a warm shim (one started before its container was known) hands its init stage once it has a container, and
/// which containers it may take at all.
/// </summary>
public sealed class WarmShimHandoverTests
{
    [Fact]
    public void The_init_stage_receives_its_three_stdio_fds_and_the_bundle_in_order()
    {
        var (shimEnd, initEnd) = Kernel.SocketPair();
        var (stdinRead, stdinWrite) = Kernel.Pipe();
        var (stdoutRead, stdoutWrite) = Kernel.Pipe();
        int devNull = Kernel.Open("/dev/null", Kernel.O_RDWR | Kernel.O_CLOEXEC);
        var received = new List<int>();
        try
        {
            new SyncChannel(shimEnd).SendContainer([stdinRead, stdoutWrite, devNull], "/var/lib/minicontainer/containers/abc");
            var (stdio, bundle) = new SyncChannel(initEnd).WaitForContainer();
            received.AddRange(stdio);
            Assert.Equal("/var/lib/minicontainer/containers/abc", bundle);
            Assert.Equal(3, stdio.Length);
            // Each received fd is the same open file as the one sent: the same pipe (or /dev/null) behind it.
            Assert.Equal(Target(stdinRead), Target(stdio[0]));
            Assert.Equal(Target(stdoutWrite), Target(stdio[1]));
            Assert.Equal("/dev/null", Target(stdio[2]));
            Kernel.WriteAll(stdio[1], "out"u8);
            var buffer = new byte[8];
            Assert.Equal("out", System.Text.Encoding.ASCII.GetString(buffer, 0, Kernel.Read(stdoutRead, buffer)));
        }
        finally
        {
            foreach (int fd in received.Concat([shimEnd, initEnd, stdinRead, stdinWrite, stdoutRead, stdoutWrite, devNull])) Kernel.Close(fd);
        }
    }

    [Fact]
    public void A_shim_that_goes_away_before_naming_a_container_is_an_error_not_a_hang()
    {
        var (shimEnd, initEnd) = Kernel.SocketPair();
        try
        {
            Kernel.Close(shimEnd);
            Assert.Throws<InvalidOperationException>(() => new SyncChannel(initEnd).WaitForContainer());
        }
        finally { Kernel.Close(initEnd); }
    }

    private static string Target(int fd) => new FileInfo($"/proc/self/fd/{fd}").LinkTarget!;

    [Fact]
    public void Only_a_container_that_wants_exactly_the_warm_namespaces_and_no_narration_suits_a_warm_shim()
    {
        Assert.True(new ContainerSpec().SuitsWarmShim);   // the default: own PID, UTS, IPC, network (and mount) namespaces
        Assert.True(new ContainerSpec { NetworkMode = "bridge" }.SuitsWarmShim);
        Assert.False(new ContainerSpec { NetworkMode = "host" }.SuitsWarmShim);
        Assert.False(new ContainerSpec { JoinNetworkNamespace = "/proc/42/ns/net" }.SuitsWarmShim);
        Assert.False(new ContainerSpec { PidNamespace = "host" }.SuitsWarmShim);
        Assert.False(new ContainerSpec { PidNamespace = "/proc/42/ns/pid" }.SuitsWarmShim);
        Assert.False(new ContainerSpec { HostUts = true }.SuitsWarmShim);
        Assert.False(new ContainerSpec { UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }] }.SuitsWarmShim);
        Assert.False(new ContainerSpec { Process = new ProcessSpec { Explain = true } }.SuitsWarmShim);
        Assert.Equal(Namespace.Pid | Namespace.Uts | Namespace.Ipc | Namespace.Net, ContainerSpec.WarmNamespaces);
    }
}
