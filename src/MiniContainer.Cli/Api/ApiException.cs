using System.Net;

namespace MiniContainer.Cli.Api;

/// <summary>The daemon answered with an error; <see cref="Exception.Message"/> is its {"message": "…"}.</summary>
internal sealed class ApiException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public bool IsNotFound => Status == HttpStatusCode.NotFound;
}

/// <summary>No daemon answers on the socket (or we may not talk to it); the message says what to do.</summary>
internal sealed class DaemonUnavailableException(string message, Exception? inner = null, UnavailableReason reason = UnavailableReason.Other)
    : Exception(message, inner)
{
    public UnavailableReason Reason { get; } = reason;
}

internal enum UnavailableReason { Other, NotRunning, PermissionDenied }
