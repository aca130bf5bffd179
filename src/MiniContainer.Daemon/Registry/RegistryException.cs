namespace MiniContainer.Registry;

/// <summary>What went wrong talking to a registry, in Docker's words. <see cref="Status"/> is the HTTP status the
/// Engine API answers with when nothing has been streamed yet (404 not found / access denied, 401 login failed, 500 otherwise).</summary>
public sealed class RegistryException(string message, int status = 500, Exception? inner = null) : Exception(message, inner)
{
    public int Status { get; } = status;
}
