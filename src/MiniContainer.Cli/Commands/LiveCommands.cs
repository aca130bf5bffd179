using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>
/// `pause`, `unpause` and `update`: changes to running containers' cgroups. Like docker's, each prints the name of
/// every container it acted on, and "Error response from daemon: …" (exit 1) for each it could not.
/// </summary>
internal static class LiveCommands
{
    public static IEnumerable<Command> Create(CliContext context) =>
        [PauseLike(context, "pause", "Pause all processes within one or more containers"),
         PauseLike(context, "unpause", "Unpause all processes within one or more containers"),
         Update(context), StatsCommand.Create(context)];

    static Command PauseLike(CliContext context, string verb, string description)
    {
        var command = new CliCommand(verb, description, "CONTAINER [CONTAINER...]");
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = parse.GetValue(names) ?? [];
            if (containers.Length == 0) throw command.RequiresAtLeast(1);
            var client = await context.ConnectAsync(parse);
            return await Targets.ForEachAsync(containers, name => client.PostJsonAsync($"{ApiPaths.Container(name)}/{verb}"));
        });
        return command;
    }

    static Command Update(CliContext context)
    {
        var command = new CliCommand("update", "Update configuration of one or more containers", "[OPTIONS] CONTAINER [CONTAINER...]");
        var memory = new Option<string?>("--memory", "-m") { Description = "Memory limit" };
        var swap = new Option<string?>("--memory-swap") { Description = "Swap limit equal to memory plus swap: -1 to enable unlimited swap" };
        var reservation = new Option<string?>("--memory-reservation") { Description = "Memory soft limit" };
        var cpus = new Option<string?>("--cpus") { Description = "Number of CPUs" };
        var shares = new Option<string?>("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
        var period = new Option<string?>("--cpu-period") { Description = "Limit CPU CFS (Completely Fair Scheduler) period" };
        var quota = new Option<string?>("--cpu-quota") { Description = "Limit CPU CFS (Completely Fair Scheduler) quota" };
        var cpusetCpus = new Option<string?>("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)" };
        var cpusetMems = new Option<string?>("--cpuset-mems") { Description = "MEMs in which to allow execution (0-3, 0,1)" };
        var pids = new Option<string?>("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
        var restart = new Option<string?>("--restart") { Description = "Restart policy to apply when a container exits" };
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { memory, swap, reservation, cpus, shares, period, quota, cpusetCpus, cpusetMems, pids, restart })
            command.Options.Add(o);
        command.Arguments.Add(names);
        command.SetAction(async (parse, cancellation) =>
        {
            string[] containers = parse.GetValue(names) ?? [];
            if (containers.Length == 0) throw command.RequiresAtLeast(1);
            var body = new JsonObject();
            if (FlagValues.Memory(parse, memory) is { } m) body["Memory"] = m;
            if (FlagValues.Memory(parse, swap, allowMinusOne: true) is { } s) body["MemorySwap"] = s;
            if (FlagValues.Memory(parse, reservation) is { } r) body["MemoryReservation"] = r;
            if (FlagValues.NanoCpus(parse, cpus) is { } nano) body["NanoCpus"] = nano;
            if (FlagValues.Long(parse, shares) is { } sh) body["CpuShares"] = sh;
            if (FlagValues.Long(parse, period) is { } p) body["CpuPeriod"] = p;
            if (FlagValues.Long(parse, quota) is { } q) body["CpuQuota"] = q;
            if (parse.GetValue(cpusetCpus) is { } cc) body["CpusetCpus"] = cc;
            if (parse.GetValue(cpusetMems) is { } cm) body["CpusetMems"] = cm;
            if (FlagValues.Long(parse, pids) is { } pl) body["PidsLimit"] = pl;
            if (parse.GetValue(restart) is { } rp) body["RestartPolicy"] = ContainerFlags.ParseRestartPolicy(restart, rp);
            if (body.Count == 0) throw new ExitException(ExitCodes.Error, "you must provide one or more flags when using this command");
            var client = await context.ConnectAsync(parse);
            return await Targets.ForEachAsync(containers, async name =>
            {
                var answer = await client.PostJsonAsync($"{ApiPaths.Container(name)}/update", body.DeepClone());
                foreach (var warning in (answer?["Warnings"] as JsonArray ?? []).Select(w => (string?)w).OfType<string>())
                    Stdio.Err.WriteLine("WARNING: " + warning);
            });
        });
        return command;
    }
}
