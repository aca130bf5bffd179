using System.Text.Json;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Shim;


/// <summary>
/// How a shim and the daemon talk until the process runs: the shim reports "created" (a StartReport with the pid),
/// waits for the daemon's start, and reports "started" or the error. After that the daemon uses the control sockets only.
/// </summary>
public interface IDaemonLink
{
    void Report(StartReport report);
    /// <summary>True when the daemon says start; false when it gave up (it closed its end).</summary>
    bool AwaitStart();
    /// <summary>The daemon has what it needs.</summary>
    void Detach();
}

/// <summary>A shim the daemon started as a process: JSON lines on stdout, "start" on stdin.</summary>
public sealed class StdioLink : IDaemonLink
{
    public void Report(StartReport report)
    {
        try
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(report, RuntimeJson.Default.StartReport));
            Console.Out.Flush();
        }
        catch (IOException) { }
    }

    public bool AwaitStart() => Console.In.ReadLine() == "start";

    /// <summary>stdin and stdout become /dev/null: the daemon's pipes close, so it stops reading us.</summary>
    public void Detach()
    {
        int devNull = Kernel.Open("/dev/null", Kernel.O_RDWR);
        ForkSafe.Dup3(devNull, 0, 0);
        ForkSafe.Dup3(devNull, 1, 0);
        Kernel.Close(devNull);
    }
}

/// <summary>An exec the container's shim runs: the control connection its request came on carries
/// 'T' frames (a StartReport) to the daemon and the daemon's 'S' (start) back (see ShimProtocol).</summary>
public sealed class ConnectionLink(Stream connection) : IDaemonLink
{
    public void Report(StartReport report)
    {
        try { ShimProtocol.WriteFrame(connection, ShimProtocol.Report, JsonSerializer.SerializeToUtf8Bytes(report, RuntimeJson.Default.StartReport)); }
        catch (IOException) { }
    }

    public bool AwaitStart()
    {
        try { return ShimProtocol.ReadFrame(connection) is { Type: ShimProtocol.Start }; }
        catch (IOException) { return false; }
    }

    public void Detach() => connection.Dispose();
}
