namespace MiniContainer.Images;

/// <summary>No image matches the reference (HTTP 404). Message as Docker's: "No such image: busybox:latest".</summary>
public sealed class ImageNotFoundException(string reference) : Exception($"No such image: {reference}")
{
    public string Reference { get; } = reference;
}

/// <summary>The archive or layer is not what it claims to be (HTTP 400 / 500): truncated, malformed, a digest that
/// does not match, or an entry that would escape the layer directory. Nothing from it was stored.</summary>
public sealed class InvalidArchiveException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The image cannot be removed as asked (HTTP 409), e.g. "... image is referenced in multiple repositories".</summary>
public class ImageConflictException(string message) : Exception(message);

/// <summary>The image cannot be removed because a container uses it (HTTP 409).</summary>
public sealed class ImageInUseException(string message) : ImageConflictException(message);
