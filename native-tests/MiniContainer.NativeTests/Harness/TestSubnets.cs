namespace MiniContainer.NativeTests.Harness;

/// <summary>
/// Hands each test daemon or network scene a 10.N.0.0/16 of its own. Tests run in parallel: two daemons given the
/// same N would put the same gateway address on two bridges, and one's DNS server or route would answer for the
/// other's containers (a flake, not a bug). So N is unique within this test run and untouched by any address or
/// route on the host; it is given back when the daemon or scene is gone.
/// </summary>
public static class TestSubnets
{
    private static readonly HashSet<int> Leased = new();

    /// <summary>A free N in [<paramref name="from"/>, <paramref name="to"/>), picked at random among the free ones.</summary>
    public static int Lease(int from, int to)
    {
        string used = HostRoutesAndAddresses();
        lock (Leased)
        {
            var free = Enumerable.Range(from, to - from).Where(n => !Leased.Contains(n) && !used.Contains($" 10.{n}.") && !used.Contains($"\n10.{n}.") && !used.StartsWith($"10.{n}.", StringComparison.Ordinal)).ToList();
            if (free.Count == 0) throw new InvalidOperationException($"no free 10.N.0.0/16 with N in [{from}, {to}) for a test network");
            int n = free[Random.Shared.Next(free.Count)];
            Leased.Add(n);
            return n;
        }
    }

    public static void Return(int n)
    {
        lock (Leased) Leased.Remove(n);
    }

    private static string HostRoutesAndAddresses() =>
        Daemon.Exec("ip", ["-4", "route", "show", "table", "all"]).Stdout + "\n" + Daemon.Exec("ip", ["-4", "addr"]).Stdout;
}
