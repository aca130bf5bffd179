using System.Text;
using MiniContainer.Cli.Api;
using MiniContainer.Cli.Terminal;

namespace MiniContainer.Cli.Compose;

/// <summary>
/// compose's merged log view: each container's lines prefixed "name  | ", the names padded to one width and, on a
/// terminal, each in its own colour. Lines from different containers never interleave mid-line.
/// </summary>
internal sealed class LogPrinter(IEnumerable<string> names, bool color, bool prefix)
{
    static readonly int[] Colors = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];
    readonly int _width = names.Select(n => n.Length).DefaultIfEmpty(0).Max();
    readonly Lock _lock = new();
    int _next;
    readonly Dictionary<string, int> _colorOf = new();

    public void WriteLine(string name, string line)
    {
        lock (_lock)
        {
            if (!prefix) { Stdio.Out.WriteLine(line); return; }
            if (!_colorOf.TryGetValue(name, out int c)) _colorOf[name] = c = Colors[_next++ % Colors.Length];
            string head = name.PadRight(_width) + "  | ";
            Stdio.Out.WriteLine(color ? $"\u001b[{c}m{head}\u001b[0m{line}" : head + line);
        }
    }

    /// <summary>GET /containers/{id}/logs, split into lines for <see cref="WriteLine"/>; returns when the stream ends (with follow, when the container stops).</summary>
    public async Task FollowAsync(DockerClient client, string id, string name, bool follow, string? tail, bool timestamps, CancellationToken ct)
    {
        string query = $"stdout=1&stderr=1&follow={(follow ? 1 : 0)}&timestamps={(timestamps ? 1 : 0)}" + (tail is null ? "" : "&tail=" + Uri.EscapeDataString(tail));
        using var response = await client.SendAsync(HttpMethod.Get, $"{ApiPaths.Container(id)}/logs?{query}", null, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var lines = new LineStream(line => WriteLine(name, line));
        try { await StreamFrames.DemultiplexAsync(body, lines, lines, ct); }
        catch (OperationCanceledException) { }
        catch (IOException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Bytes in, whole lines out (a last line without its newline is given out at the end).</summary>
    sealed class LineStream(Action<string> line) : Stream
    {
        readonly MemoryStream _pending = new();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            foreach (byte b in buffer)
            {
                if (b == (byte)'\n') Emit();
                else _pending.WriteByte(b);
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) { Write(buffer.Span); return ValueTask.CompletedTask; }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) { Write(buffer, offset, count); return Task.CompletedTask; }

        void Emit()
        {
            line(Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length).TrimEnd('\r'));
            _pending.SetLength(0);
        }

        protected override void Dispose(bool disposing)
        {
            if (_pending.Length > 0) Emit();
            base.Dispose(disposing);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
