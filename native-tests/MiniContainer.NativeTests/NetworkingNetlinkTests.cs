using System.Diagnostics;
using System.Net;
using MiniContainer.Linux.Netlink;
using Xunit;

namespace MiniContainer.NativeTests;

/// <summary>The rtnetlink client against the real kernel, on a throwaway bridge, veth pair and network namespace
/// with unique names; everything is deleted at the end and the test checks that it is gone.</summary>
public class NetworkingNetlinkTests
{
    [Fact]
    public void Bridge_veth_namespace_move_address_and_route()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6];
        string bridge = "mctb" + suffix, host = "mctv" + suffix, peer = "mctp" + suffix;
        // A throwaway network namespace: a sleeping process in its own netns (unshare from util-linux).
        using var holder = Process.Start(new ProcessStartInfo("unshare", "-n sleep 60") { UseShellExecute = false })!;
        string ns = $"/proc/{holder.Id}/ns/net";
        Support.WaitUntil(() => new FileInfo(ns).LinkTarget != new FileInfo("/proc/self/ns/net").LinkTarget, TimeSpan.FromSeconds(5), "unshare -n");
        using var rtnl = RtnlClient.Open();
        try
        {
            rtnl.CreateBridge(bridge);
            rtnl.AddAddress(bridge, IPAddress.Parse("10.213.7.1"), 24);
            rtnl.SetUp(bridge);
            var e = Assert.Throws<NetlinkException>(() => rtnl.CreateBridge(bridge));
            Assert.Equal($"create bridge {bridge}: EEXIST (File exists)", e.Message);

            rtnl.CreateVethPair(host, peer);
            rtnl.SetMaster(host, bridge);
            rtnl.SetUp(host);
            Assert.Equal(rtnl.GetLink(bridge).Index, rtnl.GetLink(host).MasterIndex);
            Assert.Equal("veth", rtnl.GetLink(host).Kind);
            Assert.Equal("bridge", rtnl.GetLink(bridge).Kind);

            int nsFd = MiniContainer.Linux.Kernel.Open(ns, MiniContainer.Linux.Kernel.O_RDONLY | MiniContainer.Linux.Kernel.O_CLOEXEC);
            try { rtnl.MoveToNamespace(peer, nsFd); }
            finally { MiniContainer.Linux.Kernel.Close(nsFd); }
            Assert.Null(rtnl.FindLink(peer));

            using (var inside = RtnlClient.OpenInNamespace(ns))
            {
                inside.Rename(peer, "eth0");
                inside.SetMac("eth0", new byte[] { 0x02, 0x42, 10, 213, 7, 2 });
                inside.AddAddress("eth0", IPAddress.Parse("10.213.7.2"), 24);
                inside.SetUp("eth0");
                inside.SetUp("lo");
                inside.AddDefaultRoute(IPAddress.Parse("10.213.7.1"));
                var eth0 = inside.GetLink("eth0");
                Assert.True(eth0.IsUp);
                Assert.Equal("02420AD50702", Convert.ToHexString(eth0.Mac!));
                Assert.Contains(inside.ListLinks(), l => l.Name == "lo");
            }
            // The namespace's view, as `ip` prints it (reading is fine; we only never configure with it).
            string addr = Run("nsenter", $"-t {holder.Id} -n ip -4 addr show eth0");
            Assert.Contains("inet 10.213.7.2/24 brd 10.213.7.255", addr);
            Assert.Contains("default via 10.213.7.1 dev eth0", Run("nsenter", $"-t {holder.Id} -n ip route"));
            // Traffic across our own bridge only: the namespace pings the bridge's address.
            Assert.Contains("1 packets received", Run("nsenter", $"-t {holder.Id} -n busybox ping -c 1 -W 2 10.213.7.1"));
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
            rtnl.DeleteLinkIfExists(host);
            rtnl.DeleteLinkIfExists(bridge);
        }
        Assert.Null(rtnl.FindLink(host));
        Assert.Null(rtnl.FindLink(bridge));
        Assert.DoesNotContain(rtnl.ListLinks(), l => l.Name.EndsWith(suffix, StringComparison.Ordinal));
    }

    private static string Run(string file, string args)
    {
        var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
