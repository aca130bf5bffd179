using MiniContainer.Linux;
using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

public sealed class TmpfsMountOptionsTests
{
    private const MountFlags Docker = MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec;

    [Fact]
    public void Dockers_default_is_noexec_nosuid_nodev() => Assert.Equal((Docker, (string?)null), TmpfsMountOptions.Split(null, readOnly: false));

    [Fact]
    public void Flag_options_become_mount_flags_and_the_rest_stays_data()
    {
        Assert.Equal((MountFlags.NoSuid | MountFlags.NoDev, "size=64m,mode=1777"), TmpfsMountOptions.Split("rw,exec,size=64m,mode=1777", readOnly: false));
        Assert.Equal((Docker | MountFlags.ReadOnly, "size=1m"), TmpfsMountOptions.Split("size=1m", readOnly: true));
        Assert.Equal((MountFlags.NoExec, (string?)null), TmpfsMountOptions.Split("suid,dev", readOnly: false));
        Assert.Equal((Docker | MountFlags.ReadOnly, (string?)null), TmpfsMountOptions.Split("noexec,ro", readOnly: false));
    }
}
