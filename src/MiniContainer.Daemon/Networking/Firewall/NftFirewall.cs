using System.Diagnostics;
using System.Net.Sockets;

namespace MiniContainer.Networking.Firewall;

/// <summary>
/// The project's one nftables table (`inet minicontainer` by default): isolation between networks, masquerade,
/// and DNAT for published ports. The whole table is rendered from the current state (<see cref="Render"/>) and
/// replaced in one transaction, so the kernel never holds half a ruleset and re-applying never duplicates a rule.
/// The text goes to the `nft` program (Debian's nftables package) on its stdin: nftables' netlink messages carry
/// rules as compiled bytecode expressions, and encoding those by hand is out of this project's scope.
/// </summary>
public sealed class NftFirewall
{
    public NftFirewall(string table = "minicontainer")
    {
        NftRuleset.CheckTableName(table);
        Table = table;
    }

    public string Table { get; }

    /// <summary>The whole table as nft text for this state.</summary>
    public static string Render(string table, IReadOnlyList<FirewallNetwork> networks, IReadOnlyList<PortMapping> ports)
        => NftRuleset.Render(table, networks, ports);

    /// <summary>
    /// One `nft -f` transaction: "add table" (so the delete never fails), "delete table" (drops every old rule),
    /// then the new table. nft commits all of it or none of it.
    /// </summary>
    public static string ReplaceScript(string table, IReadOnlyList<FirewallNetwork> networks, IReadOnlyList<PortMapping> ports)
        => $"add table inet {table}\ndelete table inet {table}\n" + Render(table, networks, ports);

    /// <summary>Replaces the table with the rules for this state; turns on IP forwarding when a network needs to get out.</summary>
    public void Apply(IReadOnlyList<FirewallNetwork> networks, IReadOnlyList<PortMapping> ports)
    {
        RunNft(ReplaceScript(Table, networks, ports));
        if (networks.Any(n => !n.Internal && n.Subnet.BaseAddress.AddressFamily == AddressFamily.InterNetwork))
            IpForwarding.Enable(AddressFamily.InterNetwork);
        if (networks.Any(n => !n.Internal && n.Subnet.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6))
            IpForwarding.Enable(AddressFamily.InterNetworkV6);
    }

    /// <summary>Deletes the table and every rule in it; nothing happens if it is not there.</summary>
    public void Remove() => RunNft($"add table inet {Table}\ndelete table inet {Table}\n");

    /// <summary>Does the kernel hold this table now? (`nft list table` fails when it does not.)</summary>
    public bool Exists() => TryRunNft(["list", "table", "inet", Table], null, out _);

    /// <summary>The table as the kernel holds it, in nft's own listing format.</summary>
    public string List()
        => TryRunNft(["list", "table", "inet", Table], null, out string output) ? output : throw new InvalidOperationException(output);

    /// <summary>Applies an nft script inside another network namespace (a container's), through nsenter: the daemon's
    /// own threads never enter it to start a process.</summary>
    public static void ApplyInNamespace(string nsPath, string script)
    {
        if (!TryRunNft(["-f", "-"], script, out string error, nsPath))
            throw new InvalidOperationException($"nftables in {nsPath}: applying the rules failed: {error.Trim()}");
    }

    static void RunNft(string script)
    {
        if (!TryRunNft(["-f", "-"], script, out string error))
            throw new InvalidOperationException($"nftables: applying the firewall rules failed: {error.Trim()}");
    }

    /// <summary>Runs nft; on success `output` is its stdout, otherwise its stderr.</summary>
    static bool TryRunNft(string[] args, string? stdin, out string output, string? netns = null)
    {
        var psi = new ProcessStartInfo(netns is null ? NftPath() : ToolPath("nsenter"))
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (netns is not null) { psi.ArgumentList.Add($"--net={netns}"); psi.ArgumentList.Add("--"); psi.ArgumentList.Add(NftPath()); }
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var nft = Process.Start(psi) ?? throw new InvalidOperationException("cannot start nft");
        // Process.Dispose leaves redirected streams we have read open: dispose them ourselves, or every apply leaks two pipes.
        using var stdoutReader = nft.StandardOutput;
        using var stderrReader = nft.StandardError;
        var stdout = stdoutReader.ReadToEndAsync();
        var stderr = stderrReader.ReadToEndAsync();
        if (stdin is not null) nft.StandardInput.Write(stdin);
        nft.StandardInput.Close();
        nft.WaitForExit();
        output = nft.ExitCode == 0 ? stdout.Result : stderr.Result;
        return nft.ExitCode == 0;
    }

    /// <summary>nft lives in /usr/sbin, which a user's PATH (not root's) may lack.</summary>
    static string NftPath() => ToolPath("nft");

    static string ToolPath(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin"]))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, tool))) return Path.Combine(dir, tool);
        throw new InvalidOperationException(tool == "nft" ? "nftables: the nft program is not installed (Debian: apt-get install nftables)"
            : $"the {tool} program is not installed (Debian: util-linux)");
    }
}
