using System.Text;
using System.Text.Json;
using MiniContainer.Linux;

namespace MiniContainer.Explaining;

/// <summary>
/// An explain log: one <see cref="ExplainStep"/> per line, as JSON (a "JSON lines" file, mode 0600 like every state
/// file). The shim appends its own steps and its init stage's to <see cref="ShimFile"/> as they happen; the daemon
/// merges them with its own, in time order, into the container's <see cref="FileName"/>.
/// </summary>
public static class ExplainLog
{
    /// <summary>The container's explain log, in its directory; its presence also means "record for this container".</summary>
    public const string FileName = "explain.jsonl";

    /// <summary>Where a shim writes, next to its spec, until the daemon has merged it.</summary>
    public const string ShimFile = "explain.shim.jsonl";

    public static string Serialize(ExplainStep step) => JsonSerializer.Serialize(step, ExplainJson.Default.ExplainStep);

    public static ExplainStep? Parse(string line) =>
        string.IsNullOrWhiteSpace(line) ? null : JsonSerializer.Deserialize(line, ExplainJson.Default.ExplainStep);

    /// <summary>Every step in a log (none when it does not exist); a torn last line is skipped.</summary>
    public static List<ExplainStep> Read(string path)
    {
        var steps = new List<ExplainStep>();
        if (!File.Exists(path)) return steps;
        foreach (string line in File.ReadLines(path))
        {
            try { if (Parse(line) is { } s) steps.Add(s); }
            catch (JsonException) { }
        }
        return steps;
    }

    /// <summary>Appends steps to a log, creating it with mode 0600.</summary>
    public static void Append(string path, IEnumerable<ExplainStep> steps)
    {
        var text = new StringBuilder();
        foreach (var s in steps) text.Append(Serialize(s)).Append('\n');
        if (text.Length == 0) return;
        using var f = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        f.Write(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>
    /// For the shim: an append-only, close-on-exec fd on <paramref name="path"/> (mode 0600), one write(2) per step,
    /// so what was done is on disk even if the shim dies half-way.
    /// </summary>
    public sealed class Writer(string path)
    {
        private readonly int _fd = Kernel.Open(path, Kernel.O_WRONLY | Kernel.O_CREAT | Kernel.O_APPEND | Kernel.O_CLOEXEC, 0x180);

        public void Write(ExplainStep step)
        {
            try { Kernel.WriteAll(_fd, Encoding.UTF8.GetBytes(Serialize(step) + "\n")); }
            catch (KernelException) { }   // a full disk costs the narration, never the container
        }
    }
}
