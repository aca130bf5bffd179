using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>info, version, and daemon (minicontainerd in the foreground).</summary>
internal static class SystemCommands
{
    public static IEnumerable<Command> Create(CliContext context) => [Info(context), Version(context), Daemon()];

    static string Str(JsonNode? node, string key) => node?[key] is JsonValue v ? GoTemplate.Print(v) : "";

    static string GoArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };

    // ───────────── system df ─────────────

    internal static Command Df(CliContext context)
    {
        var command = new CliCommand("df", "Show docker disk usage", "[OPTIONS]", "system");
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show detailed information on space usage" };
        command.Options.Add(format);
        command.Options.Add(verbose);
        command.SetAction(async (parse, cancellation) =>
        {
            var client = await context.ConnectAsync(parse);
            var df = await client.GetJsonAsync("/system/df") as JsonObject ?? [];
            if (parse.GetValue(verbose) && parse.GetValue(format) is not { Length: > 0 })
            {
                Stdio.Out.Write(DiskUsageRows.Verbose(df, DateTimeOffset.UtcNow));
                return ExitCodes.Ok;
            }
            string template = parse.GetValue(format) is { Length: > 0 } f && f != "table" ? f : DiskUsageRows.DefaultFormat;
            Stdio.Out.Write(ContainerCommands.RenderOrFail(template, DiskUsageRows.Rows(df), DiskUsageRows.Headers));
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── info ─────────────

    static Command Info(CliContext context)
    {
        var command = new CliCommand("info", "Display system-wide information", "[OPTIONS]");
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
        command.Options.Add(format);
        command.SetAction(async (parse, cancellation) =>
        {
            var client = await context.ConnectAsync(parse);
            var info = await client.GetJsonAsync("/info") as JsonObject ?? [];
            if (parse.GetValue(format) is { Length: > 0 } f)
            {
                Stdio.Out.Write(ContainerCommands.RenderOrFail(f, [info], new JsonObject()));
                return ExitCodes.Ok;
            }
            Stdio.Out.Write(FormatInfo(info, client.Host));
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static string FormatInfo(JsonObject info, DaemonHost host)
    {
        var w = new StringWriter();
        w.WriteLine("Client:");
        w.WriteLine($" Version:    {CliInfo.Version}");
        w.WriteLine($" Host:       {host.Uri}");
        w.WriteLine();
        w.WriteLine("Server:");
        w.WriteLine($" Containers: {Str(info, "Containers")}");
        w.WriteLine($"  Running: {Str(info, "ContainersRunning")}");
        w.WriteLine($"  Paused: {Str(info, "ContainersPaused")}");
        w.WriteLine($"  Stopped: {Str(info, "ContainersStopped")}");
        w.WriteLine($" Images: {Str(info, "Images")}");
        w.WriteLine($" Server Version: {Str(info, "ServerVersion")}");
        w.WriteLine($" Storage Driver: {Str(info, "Driver")}");
        w.WriteLine($" Logging Driver: {Str(info, "LoggingDriver")}");
        w.WriteLine($" Cgroup Driver: {Str(info, "CgroupDriver")}");
        w.WriteLine($" Cgroup Version: {Str(info, "CgroupVersion")}");
        w.WriteLine($" Kernel Version: {Str(info, "KernelVersion")}");
        w.WriteLine($" Operating System: {Str(info, "OperatingSystem")}");
        w.WriteLine($" OSType: {Str(info, "OSType")}");
        w.WriteLine($" Architecture: {Str(info, "Architecture")}");
        w.WriteLine($" CPUs: {Str(info, "NCPU")}");
        w.WriteLine($" Total Memory: {(info["MemTotal"] is JsonValue mem && mem.GetValueKind() == JsonValueKind.Number ? HumanUnits.BinarySize(mem.GetValue<double>()) : "")}");
        w.WriteLine($" Name: {Str(info, "Name")}");
        w.WriteLine($" ID: {Str(info, "ID")}");
        w.WriteLine($" Docker Root Dir: {Str(info, "DockerRootDir")}");
        w.WriteLine($" Debug Mode: {Str(info, "Debug")}");
        if (info["Warnings"] is JsonArray warnings && warnings.Count > 0)
        {
            w.WriteLine();
            foreach (var warning in warnings) w.WriteLine(GoTemplate.Print(warning));
        }
        return w.ToString();
    }

    // ───────────── version ─────────────

    static Command Version(CliContext context)
    {
        var command = new CliCommand("version", "Show the MiniContainer version information", "[OPTIONS]");
        command.SetAction(async (parse, cancellation) =>
        {
            Stdio.Out.WriteLine("Client:");
            Stdio.Out.WriteLine($" Version:           {CliInfo.Version}");
            Stdio.Out.WriteLine($" API version:       {DockerClient.ApiVersion}");
            Stdio.Out.WriteLine($" .NET version:      {Environment.Version}");
            Stdio.Out.WriteLine($" OS/Arch:           linux/{GoArch}");
            Stdio.Out.WriteLine();

            var client = await context.ConnectAsync(parse);
            var version = await client.GetJsonAsync("/version") as JsonObject ?? [];
            string name = version["Platform"]?["Name"] is JsonValue p ? GoTemplate.Print(p) : "MiniContainer Engine";
            Stdio.Out.WriteLine($"Server: {name}");
            Stdio.Out.WriteLine(" Engine:");
            Stdio.Out.WriteLine($"  Version:          {Str(version, "Version")}");
            Stdio.Out.WriteLine($"  API version:      {Str(version, "ApiVersion")} (minimum version {Str(version, "MinAPIVersion")})");
            if (Str(version, "GitCommit") is { Length: > 0 } commit) Stdio.Out.WriteLine($"  Git commit:       {commit}");
            if (Str(version, "BuildTime") is { Length: > 0 } built) Stdio.Out.WriteLine($"  Built:            {built}");
            Stdio.Out.WriteLine($"  OS/Arch:          {Str(version, "Os")}/{Str(version, "Arch")}");
            Stdio.Out.WriteLine($"  Kernel Version:   {Str(version, "KernelVersion")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    // ───────────── daemon ─────────────

    /// <summary>
    /// `minicontainer daemon [ARGS…]` runs minicontainerd (beside this binary) in the foreground with our stdio,
    /// passes every argument through, forwards SIGTERM/SIGHUP to it (^C reaches it through the terminal's process
    /// group anyway), and exits with its status.
    /// </summary>
    static Command Daemon()
    {
        var command = new CliCommand("daemon", "Run the MiniContainer daemon (minicontainerd) in the foreground", "[DAEMON OPTIONS]")
        {
            ForeignArgumentsAfter = 0,
        };
        var args = new Argument<string[]>("DAEMON OPTIONS") { Arity = ArgumentArity.ZeroOrMore };
        command.Arguments.Add(args);
        command.SetAction(async (parse, cancellation) =>
        {
            string daemon = DaemonLauncher.FindDaemonBinary()
                ?? throw new ExitException(ExitCodes.Error, $"{DaemonLauncher.DaemonBinaryName} was not found next to {AppContext.BaseDirectory} or on PATH");
            var psi = new ProcessStartInfo(daemon) { UseShellExecute = false };
            foreach (string a in parse.GetValue(args) ?? []) psi.ArgumentList.Add(a);

            using var process = Process.Start(psi) ?? throw new ExitException(ExitCodes.Error, "could not start " + daemon);
            var forward = new List<PosixSignalRegistration>();
            foreach (var (signal, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
            {
                forward.Add(PosixSignalRegistration.Create(signal, ctx =>
                {
                    ctx.Cancel = true;   // we stay until the daemon has shut down
                    // ^C from the terminal already went to the whole process group; forward the others.
                    if (signal != PosixSignal.SIGINT) TerminalNative.kill(process.Id, number);
                }));
            }
            await process.WaitForExitAsync();
            foreach (var r in forward) r.Dispose();
            return process.ExitCode;
        });
        return command;
    }
}
