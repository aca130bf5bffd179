using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniContainer.NativeTests.Harness;
using Xunit;

namespace MiniContainer.NativeTests;

/// <summary>minicontainer-runc's update, events, features and --preserve-fds against the real kernel, beside Debian's
/// runc 1.1.5 where the shape of the output is runc's (the helpers are OciRuntimeTests').</summary>
public sealed partial class OciRuntimeTests
{
    [Fact]
    public void Update_writes_the_running_containers_cgroup_keeps_what_it_does_not_change_and_refuses_the_rest()
    {
        string bundle = MakeBundle(c => c["linux"]!["resources"]!["cpu"] = new JsonObject { ["quota"] = 30000, ["period"] = 50000 }, "sleep", "1000");
        string id = Support.Unique("mc-oci");
        Call("run", "--detach", "--bundle", bundle, id).Ok("run --detach");

        Call("update", "--memory", "64m", "--pids-limit", "9", "--cpu-quota", "20000", id).Ok("update");
        Assert.Equal((64L << 20).ToString(), CgroupValue(id, "memory", "memory.limit_in_bytes", "memory.max"));
        Assert.Equal("9", CgroupValue(id, "pids", "pids.max", "pids.max"));
        // The quota changed; the period config.json set (50000) stays.
        Assert.Equal(Support.CgroupV2 ? "20000 50000" : "20000",
            CgroupValue(id, "cpu", "cpu.cfs_quota_us", "cpu.max"));
        if (!Support.CgroupV2) Assert.Equal("50000", CgroupValue(id, "cpu", "cpu.cfs_period_us", "cpu.max"));

        // --resources FILE: a linux.resources object, laid over the earlier update (the memory limit stays).
        string file = Path.Combine(_dir, "resources.json");
        File.WriteAllText(file, """{"pids": {"limit": 30}}""");
        Call("update", "--resources", file, id).Ok("update --resources");
        Assert.Equal("30", CgroupValue(id, "pids", "pids.max", "pids.max"));
        Assert.Equal((64L << 20).ToString(), CgroupValue(id, "memory", "memory.limit_in_bytes", "memory.max"));

        foreach (var (args, expected) in new (string[], string)[]
                 {
                     (["--blkio-weight", "500"], "not supported"),
                     (["--cpu-rt-runtime", "100"], "not supported"),
                     (["--resources", file, "--memory", "1m"], "not both"),
                 })
        {
            CommandResult r = Call(["update", .. args, id]);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(expected, r.Stderr);
        }
        File.WriteAllText(file, """{"blockIO": {"weight": 100}}""");
        Assert.Contains("blockIO", Call("update", "--resources", file, id).Stderr);
        Assert.Equal("30", CgroupValue(id, "pids", "pids.max", "pids.max"));   // a refused update changes nothing

        Call("kill", id, "KILL").Ok("kill");
        Support.WaitUntil(() => (string?)State(id)["status"] == "stopped", Support.TimeLimit(10), "stopped");
        Assert.Contains("not running", Call("update", "--memory", "32m", id).Stderr);
        Call("delete", id).Ok("delete");
        AssertNothingLeft(id, bundle);
    }

    [Fact]
    public void Events_stats_is_runcs_json_read_from_the_cgroup_and_the_stream_ends_with_the_container()
    {
        Assert.True(File.Exists(DebianRunc), $"{DebianRunc} is missing");
        string bundle = MakeBundle(c => c["linux"]!["resources"]!["pids"] = new JsonObject { ["limit"] = 50 }, "sh", "-c", "sleep 1000 & sleep 1000");
        string id = Support.Unique("mc-oci");
        Call("run", "--detach", "--bundle", bundle, id).Ok("run --detach");

        JsonObject ours = JsonNode.Parse(Call("events", "--stats", id).Ok("events --stats").Stdout)!.AsObject();
        _output.WriteLine(ours.ToJsonString());
        Assert.Equal("stats", (string?)ours["type"]);
        Assert.Equal(id, (string?)ours["id"]);
        JsonObject data = ours["data"]!.AsObject();
        Assert.InRange((long)data["pids"]!["current"]!, 2, 3);   // the two sleeps, and sh unless it exec'd the last
        Assert.Equal(50, (long)data["pids"]!["limit"]!);
        Assert.True((long)data["memory"]!["usage"]!["usage"]! > 0);
        Assert.True((long)data["cpu"]!["usage"]!["total"]! > 0);   // ns: the init stage alone took some

        // The same sections, and within them the same names, as Debian's runc prints for the same bundle.
        string runcRoot = Path.Combine(_dir, "runc-state");
        try
        {
            Run(DebianRunc, ["--root", runcRoot, "run", "--detach", "--bundle", bundle, id + "-runc"]).Ok("runc run -d");
            JsonObject theirs = JsonNode.Parse(Run(DebianRunc, ["--root", runcRoot, "events", "--stats", id + "-runc"]).Ok("runc events --stats").Stdout)!.AsObject();
            Assert.Equal(theirs.Select(p => p.Key), ours.Select(p => p.Key));
            JsonObject theirData = theirs["data"]!.AsObject();
            foreach (var (section, value) in data)
            {
                Assert.True(theirData.ContainsKey(section), $"runc has no data.{section}");
                foreach (var (name, _) in value!.AsObject())
                    if (theirData[section] is JsonObject s && s.Count > 0 && name != "raw") Assert.True(s.ContainsKey(name), $"runc has no data.{section}.{name}");
            }
        }
        finally { Run(DebianRunc, ["--root", runcRoot, "delete", "--force", id + "-runc"]); }

        // The stream: a stats event every interval until the container stops, then it ends by itself.
        string streamed = Path.Combine(_dir, "events");
        using var events = StartEvents(id, "200ms", streamed);
        Support.WaitUntil(() => File.Exists(streamed) && File.ReadAllText(streamed).Lines().Length >= 3, Support.TimeLimit(10), "three stats events");
        Call("kill", "--all", id, "KILL").Ok("kill --all");
        Assert.True(events.WaitForExit(10_000), "events did not end when the container stopped");
        Assert.Equal(0, events.ExitCode);
        foreach (string line in File.ReadAllText(streamed).Lines())
            Assert.Equal("stats", (string?)JsonNode.Parse(line)!["type"]);
        Call("delete", id).Ok("delete");
        AssertNothingLeft(id, bundle);
    }

    [Fact]
    public void Events_reports_an_oom_kill()
    {
        // tail keeps all of its 64 MiB input in memory; the killer takes it, and sh, PID 1, sleeps on.
        WatchAnOomKill("head -c 67108864 /dev/zero | tail -c 67108864 >/dev/null; sleep 1000", (id, events, streamed) =>
        {
            Support.WaitUntil(() => File.ReadAllText(streamed).Contains("\"type\":\"oom\""), Support.TimeLimit(20), "an oom event");
            _output.WriteLine(File.ReadAllText(streamed));
            Assert.Contains($"{{\"type\":\"oom\",\"id\":\"{id}\"}}", File.ReadAllText(streamed).Lines());
        });
    }

    [Fact]
    public void Events_reports_the_oom_kill_that_ends_the_container()
    {
        // PID 1 itself is the memory hog: the kill ends the container, and events, seeing it stopped, must still say why.
        WatchAnOomKill("exec tail -c 67108864 /dev/zero", (id, events, streamed) =>
        {
            Assert.True(events.WaitForExit(20_000), "events did not end when the container was OOM killed");
            Assert.Equal(0, events.ExitCode);
            Assert.Equal("stopped", (string?)State(id)["status"]);
            Assert.Contains($"{{\"type\":\"oom\",\"id\":\"{id}\"}}", File.ReadAllText(streamed).Lines());
        });
    }

    /// <summary>
    /// Runs <paramref name="hog"/> in a container of 16 MiB (+16 of swap, Docker's default doubling) under `events`,
    /// and lets it go only once events has counted the cgroup's kills so far (its first stats event comes right after):
    /// events reports the kills that happen while it watches, and a fixed head start lost that race on a loaded machine.
    /// </summary>
    private void WatchAnOomKill(string hog, Action<string, Process, string> check)
    {
        string bundle = MakeBundle(c => c["linux"]!["resources"]!["memory"] = new JsonObject { ["limit"] = 16L << 20 },
            "sh", "-c", "until [ -e /tmp/go ]; do sleep 0.05; done; " + hog);
        string id = Support.Unique("mc-oci");
        Call("run", "--detach", "--bundle", bundle, id).Ok("run --detach");
        string streamed = Path.Combine(_dir, "oom-events-" + id);
        using var events = StartEvents(id, "10s", streamed);
        try
        {
            Support.WaitUntil(() => File.Exists(streamed) && File.ReadAllText(streamed).Contains("\"type\":\"stats\""), Support.TimeLimit(10), "the first stats event");
            Call("exec", id, "touch", "/tmp/go").Ok("exec touch /tmp/go");
            check(id, events, streamed);
        }
        finally
        {
            Call("kill", "--all", id, "KILL");
            if (!events.WaitForExit(10_000)) events.Kill();
        }
        Support.WaitUntil(() => (string?)State(id)["status"] == "stopped", Support.TimeLimit(10), "stopped");
        Call("delete", id).Ok("delete");
        AssertNothingLeft(id, bundle);
    }

    [Fact]
    public void Features_has_runcs_shape_and_lists_only_what_minicontainer_runc_honours()
    {
        Assert.True(File.Exists(DebianRunc), $"{DebianRunc} is missing");
        JsonObject ours = JsonNode.Parse(Call("features").Ok("features").Stdout)!.AsObject();
        JsonObject theirs = JsonNode.Parse(Run(DebianRunc, ["features"]).Ok("runc features").Stdout)!.AsObject();
        Assert.Equal(theirs.Select(p => p.Key), ours.Select(p => p.Key));
        Assert.Equal(theirs["linux"]!.AsObject().Select(p => p.Key), ours["linux"]!.AsObject().Select(p => p.Key));
        Assert.Equal(theirs["hooks"]!.ToJsonString(), ours["hooks"]!.ToJsonString());
        var options = ours["mountOptions"]!.AsArray().Select(o => (string)o!).ToList();
        Assert.Subset(theirs["mountOptions"]!.AsArray().Select(o => (string)o!).ToHashSet(), options.ToHashSet());
        Assert.DoesNotContain("tmpcopyup", options);
        Assert.False((bool)ours["linux"]!["cgroup"]!["systemd"]!);

        // What it lists is taken: a bundle with every listed mount option on a tmpfs (but ro/rw pairs' last word wins) runs.
        string bundle = MakeBundle(c => c["mounts"]!.AsArray().Add(new JsonObject
        {
            ["destination"] = "/featured", ["type"] = "tmpfs", ["source"] = "tmpfs",
            ["options"] = new JsonArray(options.Where(o => o is not ("bind" or "rbind")).Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
        }), "true");
        string id = Support.Unique("mc-oci");
        Assert.Equal(0, Call("run", "--bundle", bundle, id).ExitCode);
        AssertNothingLeft(id, bundle);
    }

    [Fact]
    public void Preserve_fds_passes_exactly_the_callers_fds_from_3_on_create_and_exec()
    {
        string input = Path.Combine(_dir, "input"), written = Path.Combine(_dir, "written"), other = Path.Combine(_dir, "other");
        File.WriteAllText(input, "from-fd-3\n");
        File.WriteAllText(other, "");
        // fd 3 and 4 go in; fd 9, open in the caller too, must not.
        string bundle = MakeBundle("sh", "-c",
            "cat <&3; echo to-fd-4 >&4; for n in 5 9; do [ -e /proc/self/fd/$n ] && echo fd-$n-open || echo fd-$n-closed; done; exec sleep 1000");
        string id = Support.Unique("mc-oci");
        string output = Path.Combine(_dir, "out");
        CommandResult r = WithFds(output, "exec 3<\"$IN\" 4>\"$OUT4\" 9<\"$OTHER\"", "create", "--preserve-fds", "2", "--bundle", bundle, id);
        Assert.Equal(0, r.ExitCode);
        Call("start", id).Ok("start");
        Support.WaitUntil(() => File.ReadAllText(output).Contains("fd-9"), Support.TimeLimit(10), "the container's output");
        Assert.Equal(["from-fd-3", "fd-5-closed", "fd-9-closed"], File.ReadAllText(output).Lines());
        Assert.Equal("to-fd-4\n", File.ReadAllText(written));

        // exec: the same, into the running container.
        File.WriteAllText(input, "exec-fd-3\n");
        string execOut = Path.Combine(_dir, "exec-out");
        r = WithFds(execOut, "exec 3<\"$IN\" 9<\"$OTHER\"", "exec", "--preserve-fds", "1", id, "sh", "-c",
            "cat <&3; [ -e /proc/self/fd/9 ] && echo fd-9-open || echo fd-9-closed");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["exec-fd-3", "fd-9-closed"], File.ReadAllText(execOut).Lines());

        // A count beyond the open descriptors is refused before anything is made.
        string id2 = Support.Unique("mc-oci");
        r = WithFds(Path.Combine(_dir, "out2"), "exec 3<\"$IN\"", "create", "--preserve-fds", "3", "--bundle", bundle, id2);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("file descriptor 4 was not passed", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_state, id2)));

        Call("delete", "--force", id).Ok("delete --force");
        AssertNothingLeft(id, bundle);

        CommandResult WithFds(string stdout, string opens, params string[] args)
        {
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(opens + "; exec \"$0\" \"$@\" </dev/null >\"$MC_OUT\" 2>\"$MC_ERR\"");
            psi.ArgumentList.Add(Runc);
            foreach (string a in (string[])["--root", _state, .. args]) psi.ArgumentList.Add(a);
            psi.Environment["IN"] = input; psi.Environment["OUT4"] = written; psi.Environment["OTHER"] = other;
            psi.Environment["MC_OUT"] = stdout; psi.Environment["MC_ERR"] = Path.Combine(_dir, "stderr");
            using var p = Process.Start(psi)!;
            if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException(string.Join(' ', args)); }
            var result = new CommandResult(p.ExitCode, File.ReadAllText(stdout), File.ReadAllText(Path.Combine(_dir, "stderr")));
            _output.WriteLine($"$ minicontainer-runc {string.Join(' ', args)} → {result.ExitCode} {result.Stderr.Trim()}");
            return result;
        }
    }

    [Fact]
    public void Checkpoint_and_restore_are_refused()
    {
        foreach (string command in new[] { "checkpoint", "restore" })
        {
            CommandResult r = Call(command, "some-id");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"\"{command}\" is not supported", r.Stderr);
        }
    }

    /// <summary>`events --interval INTERVAL ID` in the background, its output (stdout and stderr) in a file.</summary>
    private Process StartEvents(string id, string interval, string output)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" --root \"$1\" events --interval \"$2\" \"$3\" </dev/null >\"$4\" 2>&1");
        foreach (string a in new[] { Runc, _state, interval, id, output }) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>A cgroup file of the container: on v1 in the controller's hierarchy, on v2 the one directory.</summary>
    private static string CgroupValue(string id, string v1Controller, string v1File, string v2File)
    {
        var dirs = CgroupDirs(id);
        string dir = Support.CgroupV2 ? dirs.Single() : dirs.Single(d => d.StartsWith($"/sys/fs/cgroup/{v1Controller}/", StringComparison.Ordinal));
        return File.ReadAllText(Path.Combine(dir, Support.CgroupV2 ? v2File : v1File)).Trim();
    }
}
