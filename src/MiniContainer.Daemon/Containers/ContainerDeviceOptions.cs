using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Cgroups;
using MiniContainer.Runtime;

namespace MiniContainer.Containers;

/// <summary>One --device: HostConfig.Devices[i] of the Engine API.</summary>
public sealed class DeviceMapping
{
    public string PathOnHost { get; set; } = "";
    public string PathInContainer { get; set; } = "";
    public string CgroupPermissions { get; set; } = "rwm";
}

/// <summary>
/// HostConfig.Devices and DeviceCgroupRules: read from the create request, checked with Docker's
/// messages, and turned into the device nodes and cgroup rules of the container's spec at start.
/// </summary>
public static class ContainerDeviceOptions
{
    /// <summary>Reads the two fields into <paramref name="host"/>.</summary>
    public static void Parse(JsonObject hostNode, HostConfig host)
    {
        if (hostNode["Devices"] is JsonArray devices)
            foreach (JsonNode? node in devices)
            {
                if (node is not JsonObject d) throw new BadRequestException("invalid device mapping: want {\"PathOnHost\", \"PathInContainer\", \"CgroupPermissions\"}");
                string onHost = (string?)d["PathOnHost"] ?? "";
                string inContainer = (string?)d["PathInContainer"] is { Length: > 0 } p ? p : onHost;
                string permissions = (string?)d["CgroupPermissions"] is { Length: > 0 } perms ? perms : "rwm";
                host.Devices.Add(new DeviceMapping { PathOnHost = onHost, PathInContainer = inContainer, CgroupPermissions = permissions });
            }
        host.DeviceCgroupRules = CreateRequest.StringList(hostNode["DeviceCgroupRules"]);
        // DeviceRequests (--gpus) is refused with the other options MiniContainer cannot honour (UnsupportedOptions).
    }

    /// <summary>
    /// Docker's checks, at create so that a bad value leaves no container behind: each rule parses, each mapping's
    /// permissions are r/w/m, its container path is absolute, and its host path is a device (or a directory with some).
    /// </summary>
    public static void Validate(HostConfig host)
    {
        foreach (string rule in host.DeviceCgroupRules ?? [])
        {
            try { DeviceRule.Parse(rule); }
            catch (FormatException e) { throw new BadRequestException(e.Message); }
        }
        foreach (DeviceMapping m in host.Devices)
        {
            if (m.PathOnHost.Length == 0) throw new BadRequestException("invalid device mapping: PathOnHost is empty");
            if (!ValidPermissions(m.CgroupPermissions)) throw new BadRequestException($"invalid device mode: {m.CgroupPermissions}");
            if (!m.PathInContainer.StartsWith('/')) throw new BadRequestException($"{m.PathInContainer} is not an absolute path");
            Nodes(m);
        }
    }

    /// <summary>Docker's validDeviceMode: r, w and m, each at most once, at least one.</summary>
    public static bool ValidPermissions(string mode) =>
        mode.Length > 0 && mode.All(ch => ch is 'r' or 'w' or 'm') && mode.Distinct().Count() == mode.Length;

    /// <summary>
    /// The device nodes and cgroup rules for the spec, as dockerd's WithDevices computes them: the container's own
    /// (--device nodes with their permissions, then --device-cgroup-rule) inside Docker's defaults; for a privileged
    /// container every host device and allow-all, plus the --device nodes at other paths.
    /// </summary>
    public static (List<DeviceNodeSpec> Nodes, List<DeviceRule> Rules) ForStart(HostConfig host)
    {
        var nodes = new List<DeviceNodeSpec>();
        var rules = new List<DeviceRule>();
        if (host.Privileged)
        {
            nodes.AddRange(HostDevices.All());
            foreach (DeviceMapping m in host.Devices.Where(m => m.PathOnHost != m.PathInContainer)) nodes.AddRange(Nodes(m));
        }
        else
        {
            foreach (DeviceMapping m in host.Devices)
                foreach (DeviceNodeSpec node in Nodes(m))
                {
                    nodes.Add(node);
                    rules.Add(node.Rule(m.CgroupPermissions));
                }
            foreach (string rule in host.DeviceCgroupRules ?? [])
            {
                try { rules.Add(DeviceRule.Parse(rule)); }
                catch (FormatException e) { throw new BadRequestException(e.Message); }
            }
        }
        return (nodes, DockerDeviceRules.For(host.Privileged, rules));
    }

    private static List<DeviceNodeSpec> Nodes(DeviceMapping m)
    {
        try { return HostDevices.FromPath(m.PathOnHost, m.PathInContainer); }
        catch (IOException e) { throw new BadRequestException(e.Message); }
    }
}
