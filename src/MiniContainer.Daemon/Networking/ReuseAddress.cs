using System.Net.Sockets;

namespace MiniContainer.Networking;

/// <summary>
/// SO_REUSEADDR alone, for the daemon's TCP listeners: a restarted daemon may bind its ports again while old
/// connections sit in TIME_WAIT. It is set raw because .NET's <c>SocketOptionName.ReuseAddress</c> also sets
/// SO_REUSEPORT on Linux, and with SO_REUSEPORT a second listener of the same user (another daemon, both root) binds
/// the same port without an error and the kernel splits the connections between the two.
/// </summary>
public static class ReuseAddress
{
    private const int SolSocket = 1, SoReuseAddr = 2; // <sys/socket.h> on Linux

    public static void Set(Socket socket) => socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
}
