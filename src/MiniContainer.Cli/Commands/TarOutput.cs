using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Commands;

/// <summary>save and export: a tar from the daemon to stdout, or to a file (-o).</summary>
internal static class TarOutput
{
    public static async Task WriteAsync(Stream tar, string? file)
    {
        if (file is null)
        {
            await tar.CopyToAsync(Stdio.OutStream);
            return;
        }
        // Write beside the target and rename, so a failed transfer never leaves half a tarball under the name asked for.
        string temp = file + ".tmp-" + Environment.ProcessId;
        try
        {
            await using (var target = File.Create(temp)) await tar.CopyToAsync(target);
            File.Move(temp, file, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
