using System.Net;
using System.Net.Sockets;
using MiniContainer.Linux;
using Xunit;

namespace MiniContainer.NativeTests.Harness;

/// <summary>
/// Sockets that live in another network namespace — a test's own (/run/netns/NAME) or a container's
/// (/proc/PID/ns/net) — made on a short-lived thread that first joins it. setns(CLONE_NEWNET) moves only the
/// calling thread, so the test process stays where it is; the socket keeps its namespace for its whole life.
/// </summary>
public static class NetnsSockets
{
    /// <summary>A socket in the network namespace at <paramref name="nsPath"/>, or the host's when null.</summary>
    public static Socket Create(string? nsPath, SocketType type)
    {
        var protocol = type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp;
        if (nsPath is null) return new Socket(AddressFamily.InterNetwork, type, protocol);
        Socket? made = null;
        Exception? failed = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(nsPath);
                Kernel.JoinNamespace((int)handle.DangerousGetHandle(), Namespace.Net);
                made = new Socket(AddressFamily.InterNetwork, type, protocol);
            }
            catch (Exception e) { failed = e; }
        });
        thread.Start();
        thread.Join();
        return made ?? throw new InvalidOperationException($"socket in {nsPath}", failed);
    }

    /// <summary>A TCP listener in the namespace on address:port.</summary>
    public static Socket Listen(string? nsPath, IPAddress address, int port)
    {
        var s = Create(nsPath, SocketType.Stream);
        s.Bind(new IPEndPoint(address, port));
        s.Listen(16);
        return s;
    }

    /// <summary>Connects from the namespace to target and exchanges one line; returns the listener's view of the
    /// client address, or null when the connection did not get through within the timeout.</summary>
    public static async Task<IPEndPoint?> TryConnect(string? nsPath, Socket listener, IPEndPoint target, TimeSpan? timeout = null)
    {
        using var client = Create(nsPath, SocketType.Stream);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(2));
        try
        {
            var accepting = listener.AcceptAsync(cts.Token).AsTask();
            await client.ConnectAsync(target, cts.Token);
            using var accepted = await accepting;
            await client.SendAsync("ping\n"u8.ToArray(), SocketFlags.None);
            var buffer = new byte[16];
            int n = await accepted.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.Equal("ping\n", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            return (IPEndPoint)accepted.RemoteEndPoint!;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return null;
        }
    }
}
