using System.Net.Sockets;
using System.Text;
using MiniContainer.Linux;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>What a shim's control socket is made of: a thread made with pthread_create (PosixThread), a unix socket
/// listened on and accepted with plain kernel calls, and a blocking stream over each connection (SocketStream).</summary>
public sealed class ShimThreadsAndSocketTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("mc-shimsock-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_posix_thread_runs_its_body_under_its_name_and_can_be_joined()
    {
        string? name = null;
        using var release = new ManualResetEventSlim();
        var thread = PosixThread.Start("mc-test-thread", () =>
        {
            name = File.ReadAllText("/proc/thread-self/comm").Trim();
            release.Wait();
        });
        Assert.False(thread.Join(TimeSpan.FromMilliseconds(100)));   // still in its body
        release.Set();
        Assert.True(thread.Join(TimeSpan.FromSeconds(5)));
        Assert.Equal("mc-test-thread", name);
    }

    [Fact]
    public void A_name_longer_than_the_kernel_keeps_is_cut_to_15_bytes()
    {
        string? name = null;
        var thread = PosixThread.Start("a-very-long-thread-name", () => name = File.ReadAllText("/proc/thread-self/comm").Trim());
        Assert.True(thread.Join(TimeSpan.FromSeconds(5)));
        Assert.Equal("a-very-long-thr", name);
    }

    [Fact]
    public void A_client_talks_both_ways_over_an_accepted_connection_and_a_shutdown_ends_its_reads()
    {
        string path = Path.Combine(_dir, "shim.sock");
        int listener = Kernel.ListenUnix(path, backlog: 4);
        try
        {
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(path));
            using var served = new SocketStream(Kernel.Accept(listener));

            client.Send("ping"u8);
            byte[] buffer = new byte[16];
            int n = served.Read(buffer, 0, buffer.Length);
            Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, n));

            served.Write("pong"u8);
            n = client.Receive(buffer);
            Assert.Equal("pong", Encoding.ASCII.GetString(buffer, 0, n));

            // A read waiting on another thread returns 0 once the connection is shut down here.
            var waiting = Task.Run(() => served.Read(buffer, 0, buffer.Length));
            Thread.Sleep(50);
            served.Shutdown();
            Assert.Equal(0, waiting.Wait(TimeSpan.FromSeconds(5)) ? waiting.Result : -1);
            Assert.Equal(0, client.Receive(buffer));   // and the client sees the end
        }
        finally { Kernel.Close(listener); }
    }

    [Fact]
    public void Writing_to_a_client_that_has_gone_is_an_IOException_not_a_SIGPIPE()
    {
        string path = Path.Combine(_dir, "gone.sock");
        int listener = Kernel.ListenUnix(path, backlog: 1);
        try
        {
            var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(path));
            using var served = new SocketStream(Kernel.Accept(listener));
            client.Dispose();
            var e = Assert.Throws<IOException>(() => { for (int i = 0; i < 100; i++) served.Write(new byte[4096]); });
            Assert.Contains("EPIPE", e.Message);
        }
        finally { Kernel.Close(listener); }
    }

    [Fact]
    public void A_socket_path_too_long_for_sockaddr_un_is_refused_by_name()
    {
        string path = Path.Combine(_dir, new string('x', 120));
        var e = Assert.Throws<KernelException>(() => Kernel.ListenUnix(path, backlog: 1));
        Assert.Contains("ENAMETOOLONG", e.Message);
        Assert.False(File.Exists(path));
    }
}
