using MiniContainer.Cgroups;
using Xunit;

namespace MiniContainer.UnitTests.Cgroups;

public sealed class ResourceLimitsTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(1.5, 150_000)]
    [InlineData(0.5, 50_000)]
    [InlineData(0.01, 1_000)]
    [InlineData(4, 400_000)]
    public void Cpus_become_quota_over_the_default_period(double cpus, long quota) =>
        Assert.Equal(quota, new ResourceLimits().WithCpus(cpus).CpuQuotaMicros);

    [Fact]
    public void Swap_defaults_follow_docker()
    {
        Assert.Null(new ResourceLimits().EffectiveMemorySwapTotal);
        Assert.Equal(128 * MiB, new ResourceLimits { MemoryBytes = 64 * MiB }.EffectiveMemorySwapTotal);
        Assert.Equal(64 * MiB, new ResourceLimits { MemoryBytes = 64 * MiB }.EffectiveSwapOnly);
        Assert.Equal(-1, new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = -1 }.EffectiveSwapOnly);
        Assert.Equal(0, new ResourceLimits { MemoryBytes = 64 * MiB, MemorySwapBytes = 64 * MiB }.EffectiveSwapOnly);
    }

    [Theory]
    [InlineData(1L * MiB, null, "Minimum memory limit allowed is 6MB")]
    [InlineData(64L * MiB, 32L * MiB, "Minimum memoryswap limit should be larger than memory limit")]
    [InlineData(null, 64L * MiB, "You should always set the Memory limit when using Memoryswap limit")]
    public void Docker_refusals_are_kept(long? memory, long? swap, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new ResourceLimits { MemoryBytes = memory, MemorySwapBytes = swap }.Validate());
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Cpu_period_and_quota_ranges_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new ResourceLimits { CpuPeriodMicros = 999 }.Validate());
        Assert.Throws<ArgumentException>(() => new ResourceLimits { CpuQuotaMicros = 500 }.Validate());
        new ResourceLimits { CpuQuotaMicros = -1, CpuPeriodMicros = 1_000_000, PidsLimit = -1 }.Validate();
    }
}
