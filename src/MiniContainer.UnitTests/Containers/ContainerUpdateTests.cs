using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Cgroups;
using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>POST /containers/{id}/update and the resource fields it shares with create: dockerd's rules and words.</summary>
public sealed class ContainerUpdateTests
{
    private const long MiB = 1024 * 1024;

    private static ContainerUpdate Parse(string json) => ContainerUpdateRequest.Parse(JsonNode.Parse(json)!.AsObject());

    [Fact]
    public void The_docker_clis_full_body_with_zeros_parses_into_only_what_was_set()
    {
        var u = Parse("""{"Memory":134217728,"MemorySwap":0,"CpuShares":0,"KernelMemory":0,"BlkioWeight":0,"CpusetCpus":"","PidsLimit":null,"RestartPolicy":{"Name":"","MaximumRetryCount":0}}""");
        Assert.Equal(128 * MiB, u.Memory);
        Assert.Null(u.PidsLimit);
        Assert.Null(u.RestartPolicy);
        Assert.Equal("", u.CpusetCpus);
    }

    [Theory]
    [InlineData("""{"KernelMemory":67108864}""", "KernelMemory")]
    [InlineData("""{"BlkioWeight":300,"Memory":67108864}""", "BlkioWeight")]
    [InlineData("""{"Memory":-1}""", "memory limit can not be negative")]
    public void What_cannot_be_updated_or_is_bad_is_a_400_naming_it(string json, string named)
    {
        var e = Assert.Throws<BadRequestException>(() => Parse(json));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void Cpus_and_period_or_quota_cannot_be_mixed_across_create_and_update()
    {
        var e = Assert.Throws<ConflictException>(() => ContainerService.Merge(new HostConfig { CpuPeriod = 50_000 }, new ContainerUpdate { NanoCpus = 1_000_000_000 }));
        Assert.Equal("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set", e.Message);
        e = Assert.Throws<ConflictException>(() => ContainerService.Merge(new HostConfig { NanoCpus = 1_000_000_000 }, new ContainerUpdate { CpuQuota = 50_000 }));
        Assert.Equal("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set", e.Message);
    }

    [Fact]
    public void Memory_keeps_the_swap_the_container_had_and_cannot_pass_it_alone()
    {
        var h = ContainerService.Merge(new HostConfig { Memory = 400 * MiB }, new ContainerUpdate { Memory = 300 * MiB });
        Assert.Equal(300 * MiB, h.Memory);
        Assert.Equal(800 * MiB, h.MemorySwap);   // the default swap of 400m, as dockerd stored it at create
        var e = Assert.Throws<ConflictException>(() => ContainerService.Merge(new HostConfig { Memory = 64 * MiB, MemorySwap = 96 * MiB }, new ContainerUpdate { Memory = 128 * MiB }));
        Assert.Contains("update the memoryswap at the same time", e.Message);
        Assert.Equal(256 * MiB, ContainerService.Merge(new HostConfig { Memory = 64 * MiB, MemorySwap = 96 * MiB },
            new ContainerUpdate { Memory = 128 * MiB, MemorySwap = 256 * MiB }).MemorySwap);
    }

    [Fact]
    public void The_restart_policy_is_updated_unless_the_container_is_auto_removed()
    {
        var policy = new RestartPolicy { Name = "on-failure", MaximumRetryCount = 42 };
        Assert.Equal(42, ContainerService.Merge(new HostConfig(), new ContainerUpdate { RestartPolicy = policy }).RestartPolicy.MaximumRetryCount);
        var e = Assert.Throws<ConflictException>(() => ContainerService.Merge(new HostConfig { AutoRemove = true }, new ContainerUpdate { RestartPolicy = policy }));
        Assert.Equal("Restart policy cannot be updated because AutoRemove is enabled for the container", e.Message);
    }

    [Fact]
    public void Merge_leaves_the_original_alone()
    {
        var h = new HostConfig { Memory = 64 * MiB };
        ContainerService.Merge(h, new ContainerUpdate { Memory = 128 * MiB, CpusetCpus = "0" });
        Assert.Equal(64 * MiB, h.Memory);
        Assert.Equal("", h.CpusetCpus);
    }

    [Fact]
    public void Swappiness_is_kept_on_v1_and_dropped_with_dockerds_warning_on_v2()
    {
        var v1 = new HostConfig { MemorySwappiness = 40 };
        Assert.Empty(ContainerResources.Validate(v1, CgroupVersion.V1));
        Assert.Equal(40, v1.MemorySwappiness);
        var v2 = new HostConfig { MemorySwappiness = 40 };
        Assert.Equal([CgroupWarnings.SwappinessUnsupported], ContainerResources.Validate(v2, CgroupVersion.V2));
        Assert.Null(v2.MemorySwappiness);
    }

    [Theory]
    [InlineData(101, null, 0, 0, "Invalid value: 101, valid memory swappiness range is 0-100")]
    [InlineData(null, "0-x", 0, 0, "Invalid value 0-x for cpuset cpus")]
    [InlineData(null, "3-1", 0, 0, "Invalid value 3-1 for cpuset cpus")]
    [InlineData(null, null, 64, 128, "Minimum memory limit can not be less than memory reservation limit, see usage")]
    [InlineData(null, null, 0, 1, "Minimum memory reservation allowed is 6MB")]
    public void Bad_resource_values_get_dockerds_words(int? swappiness, string? cpus, long memoryMiB, long reservationMiB, string message)
    {
        var h = new HostConfig { MemorySwappiness = swappiness, CpusetCpus = cpus ?? "", Memory = memoryMiB * MiB, MemoryReservation = reservationMiB * MiB };
        var e = Assert.Throws<BadRequestException>(() => ContainerResources.Validate(h, CgroupVersion.V1));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Cpu_lists_parse_like_the_kernels()
    {
        Assert.Equal([0, 1, 2, 4], CpuSetList.Parse("0-2,4"));
        Assert.True(CpuSetList.IsSubset("0,1", "0-1"));
        Assert.False(CpuSetList.IsSubset("2", "0-1"));
        Assert.Throws<ArgumentException>(() => CpuSetList.Parse("1,,2"));
        Assert.Throws<ArgumentException>(() => CpuSetList.Parse("a"));
    }

    [Fact]
    public void Live_limits_lift_what_an_update_lifted()
    {
        var limits = ContainerResources.LimitsOf(new HostConfig { Memory = 64 * MiB, PidsLimit = -1, CpusetCpus = "0" });
        Assert.Equal(-1, limits.CpuQuotaMicros);   // no quota any more
        Assert.Equal(-1, limits.PidsLimit);        // written as "max"
        Assert.Equal("0", limits.CpusetCpus);
        Assert.Null(ContainerResources.SpecOf(new HostConfig(), []).CpuQuotaMicros);   // a fresh cgroup needs no write
    }
}
