using MiniContainer.Api;
using MiniContainer.Events;

namespace MiniContainer.Containers;

/// <summary>`docker rename`: a new name for a container, running or not, as dockerd gives it.</summary>
public sealed partial class ContainerService
{
    /// <summary>
    /// POST /containers/{id}/rename?name=NEW. The name is checked and claimed under the same lock as create's, so two
    /// containers can never end up with one name; the record is then written atomically (a crash leaves the old name or
    /// the new, never neither), and the container's network endpoints answer to the new name in the embedded DNS, as
    /// libnetwork's do: the old name stops resolving, aliases and the short ID stay. Returns the old name (no slash).
    /// </summary>
    public async Task<string> RenameAsync(Container c, string newName)
    {
        if (string.IsNullOrEmpty(newName)) throw new BadRequestException("Neither old nor new names may be empty");
        newName = newName.TrimStart('/');
        CreateRequest.ValidateName(newName);
        await c.Gate.WaitAsync();
        try
        {
            if (c.Removed) throw new NotFoundException($"No such container: {c.Record.Id}");
            string oldName = c.Record.PlainName;
            lock (_nameLock)
            {
                if (oldName == newName) throw new BadRequestException("Renaming a container with the same name as its current name");
                if (FindByName(newName) is { } existing)
                    throw new ConflictException($"Conflict. The container name \"/{newName}\" is already in use by container \"{existing.Record.Id}\". You have to remove (or rename) that container to be able to reuse that name.");
                c.Record.Name = "/" + newName;
                Networking?.RenameEndpoints(c.Record, oldName);
                try { c.Save(); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    c.Record.Name = "/" + oldName;
                    Networking?.RenameEndpoints(c.Record, newName);
                    throw new ApiException(500, $"cannot save the new name of container {c.Record.ShortId}: {e.Message}");
                }
            }
            Log.Info($"container {c.Record.ShortId} renamed from {oldName} to {newName}");
            Events.Container(c.Record, "rename", ("oldName", "/" + oldName));
            return oldName;
        }
        finally { c.Gate.Release(); }
    }
}
