using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

public class CapabilitySetTests
{
    private static HashSet<string> Names(HashSet<int> caps) => caps.Select(c => CapabilitySet.Names[c]).ToHashSet();

    [Fact]
    public void Default_set_is_dockers_fourteen()
    {
        var caps = Names(CapabilitySet.Effective(null, null));
        Assert.Equal(14, caps.Count);
        Assert.Contains("NET_BIND_SERVICE", caps);
        Assert.DoesNotContain("SYS_ADMIN", caps);
    }

    [Fact]
    public void Drop_all_then_add_keeps_only_the_added_ones()
    {
        Assert.Equal(new HashSet<string> { "NET_ADMIN" }, Names(CapabilitySet.Effective(new[] { "NET_ADMIN" }, new[] { "ALL" })));
    }

    [Fact]
    public void Add_all_minus_drop()
    {
        var caps = Names(CapabilitySet.Effective(new[] { "all" }, new[] { "CAP_SYS_ADMIN" }));
        Assert.Equal(CapabilitySet.Names.Length - 1, caps.Count);
        Assert.DoesNotContain("SYS_ADMIN", caps);
    }

    [Fact]
    public void Names_accept_the_cap_prefix_and_any_case_and_unknown_ones_are_refused()
    {
        Assert.Equal(CapabilitySet.Number("NET_ADMIN"), CapabilitySet.Number("cap_net_admin"));
        var e = Assert.Throws<ArgumentException>(() => CapabilitySet.Number("NOPE"));
        Assert.Equal("invalid capability: \"NOPE\"", e.Message);
    }
}
