using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Dashboard;

/// <summary>
/// `minicontainer dashboard [--listen 127.0.0.1:7480] [--allow-remote]`: a live page for a projector, served by the CLI
/// and fed by the daemon's read-only GETs (see <see cref="DashboardRoutes"/> for what it will relay). Prints the URL,
/// with its token, and serves until Ctrl+C.
/// </summary>
internal static class DashboardCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("dashboard", "Serve a live web view of containers, networks and images (MiniContainer only)", "[OPTIONS]");
        var listen = new Option<string>("--listen")
        {
            Description = "Address to serve the page on (port 0: any free port)",
            HelpName = "IP:PORT",
            DefaultValueFactory = _ => ListenAddress.Default,
        };
        var allowRemote = new Option<bool>("--allow-remote")
        {
            Description = "Allow a --listen address other hosts can reach (plain http: anyone who sees the URL can read what the page shows)",
        };
        command.Options.Add(listen);
        command.Options.Add(allowRemote);
        command.SetAction(async (parse, _) =>
        {
            var address = ListenAddress.Parse(parse.GetValue(listen)!);
            address.CheckExposure(parse.GetValue(allowRemote));
            var daemon = await context.ConnectAsync(parse);

            var listener = new TcpListener(address.Address, address.Port);
            try { listener.Start(); }
            catch (SocketException e) { throw new ExitException(ExitCodes.Error, $"cannot listen on {address.Authority}: {e.Message}"); }
            address = address with { Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port };   // the real port when 0 was asked for

            string token = DashboardRoutes.NewToken();
            if (!address.IsLoopback)
                Stdio.Err.WriteLine($"WARNING: the dashboard is reachable from other hosts on {address.Authority}, over plain http: " +
                                    "whoever sees its URL (with the token) can read every container's details.");
            Stdio.Out.WriteLine($"{address.Url}?token={token}");
            Stdio.Out.Flush();
            Stdio.Err.WriteLine("Serving the dashboard (read-only). Open the URL above; Ctrl+C stops it.");

            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
            await new DashboardServer(listener, new DashboardRoutes(address, token), daemon).RunAsync(stop.Token);
            listener.Stop();
            return ExitCodes.Ok;
        });
        return command;
    }
}
