namespace MiniContainer.Api;

/// <summary>An error the API returns as Docker does: an HTTP status and {"message": "..."}.</summary>
public class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

public sealed class NotFoundException(string message) : ApiException(404, message);
public sealed class ConflictException(string message) : ApiException(409, message);
public sealed class BadRequestException(string message) : ApiException(400, message);
public sealed class NotModifiedException() : ApiException(304, "");
/// <summary>A body read whole that is bigger than the daemon's --max-request-body (HTTP 413, as Go's MaxBytesReader answers).</summary>
public sealed class PayloadTooLargeException(string message) : ApiException(413, message);

/// <summary>A start that failed inside the container (e.g. command not found); ExitCode is 126/127/125.</summary>
public sealed class StartFailedException(string message, int exitCode) : ApiException(400, message)
{
    public int ExitCode { get; } = exitCode;
}
