using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MiniContainer.Cli.Output;

/// <summary>
/// The build's live view on a terminal, fed the daemon's build messages. The running step shows its header with
/// the elapsed time ("Step 3/7 : RUN make  4.2s") and below it a window with the last few lines of its output,
/// redrawn in place (cursor up ESC[nA, clear line ESC[2K). When the step ends (" ---> id", the next "Step", or
/// the end) the window is erased (ESC[J) and one summary line stays: "Step 3/7 : RUN make ---> a1b2c3d4e5f6  4.2s".
/// Every line of the running step is kept (up to 1 MiB), so a failure prints all of it before the error.
/// The width is asked for at every frame, so a resized terminal gets lines cut to its new width.
/// Every public method takes one lock: the message loop and the elapsed-time timer never interleave writes.
/// </summary>
internal sealed partial class BuildLiveView(TextWriter output, Func<int> width, Func<TimeSpan> clock, int windowLines = 6)
{
    /// <summary>How much of a step's output is kept for the failure report; older lines are dropped beyond it.</summary>
    public const int CaptureLimitChars = 1 << 20;

    private readonly object _gate = new();
    private readonly ProgressRenderer _pull = new(output, isTerminal: true, width());
    private readonly StringBuilder _partial = new();   // stream text after the last newline
    private Step? _step;
    private int _drawn;   // lines of header + window on screen above the cursor

    private sealed class Step(string header, TimeSpan started)
    {
        public string Header { get; } = header;
        public TimeSpan Started { get; } = started;
        public bool Cached { get; set; }
        public bool HeaderPrinted { get; set; }   // a pull drew below it, so it stays as a plain line
        public bool Pulling { get; set; }        // the pull owns the screen below: no redraw until more output
        public LinkedList<string> Lines { get; } = new();
        public long Chars { get; set; }
        public int Dropped { get; set; }
    }

    /// <summary>A {"stream": …} chunk: may hold many lines or end mid-line.</summary>
    public void Stream(string text)
    {
        lock (_gate)
        {
            if (_step != null) _step.Pulling = false;   // the pull is over once the step prints again
            foreach (char c in text)
            {
                if (c != '\n' && _partial.Length < CaptureLimitChars) { _partial.Append(c); continue; }   // a huge unbroken line is split
                string line = _partial.ToString();
                _partial.Clear();
                Line(line);
                if (c != '\n') _partial.Append(c);
            }
            if (_step is { Pulling: false }) Redraw();
            output.Flush();
        }
    }

    /// <summary>A pull progress message (FROM fetching its image): drawn by docker pull's renderer below the header.</summary>
    public void Status(JsonObject message)
    {
        lock (_gate)
        {
            if (_step is { } step && !step.Pulling)
            {
                Erase();
                if (!step.HeaderPrinted) output.Write(step.Header + "\n");
                step.HeaderPrinted = true;
                step.Pulling = true;
            }
            _pull.Render(message);
        }
    }

    /// <summary>Timer tick: moves the running step's elapsed time when its command prints nothing.</summary>
    public void Tick()
    {
        lock (_gate)
        {
            if (_step is not { Pulling: false }) return;
            Redraw();
            output.Flush();
        }
    }

    /// <summary>The stream ended without error: the last step (if any) collapses, pending text is printed.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_step != null) Finish(null);
            if (_partial.Length > 0) output.Write(_partial + "\n");
            _partial.Clear();
            output.Flush();
        }
    }

    /// <summary>The build failed: the running step's whole captured output is printed, so nothing is hidden.</summary>
    public void Fail()
    {
        lock (_gate)
        {
            Erase();
            if (_step is { } step)
            {
                if (!step.HeaderPrinted) output.Write($"{step.Header}  {Elapsed(step)}\n");
                if (step.Dropped > 0) output.Write($"[{step.Dropped} earlier lines not kept]\n");
                foreach (string line in step.Lines) output.Write(line + "\n");
                _step = null;
            }
            if (_partial.Length > 0) output.Write(_partial + "\n");
            _partial.Clear();
            output.Flush();
        }
    }

    private void Line(string line)
    {
        if (line.StartsWith("Step ", StringComparison.Ordinal))
        {
            if (_step != null) Finish(null);
            _step = new Step(line, clock());
        }
        else if (_step == null) output.Write(line + "\n");   // "Successfully built …", trigger notes
        else if (line == " ---> Using cache") _step.Cached = true;
        else if (ResultLine().Match(line) is { Success: true } result) Finish(result.Groups[1].Value);
        else Capture(_step, line);
    }

    private static void Capture(Step step, string line)
    {
        step.Lines.AddLast(line);
        step.Chars += line.Length + 1;
        while (step.Chars > CaptureLimitChars && step.Lines.First is { } first)
        {
            step.Chars -= first.Value.Length + 1;
            step.Lines.RemoveFirst();
            step.Dropped++;
        }
    }

    /// <summary>Erases the window and leaves the step as one line: header, result and time. It is never redrawn,
    /// so it is not cut: a long one wraps as docker's plain lines do.</summary>
    private void Finish(string? id)
    {
        var step = _step!;
        Erase();
        string result = (step.Cached ? " ---> Using cache" : "") + (string.IsNullOrEmpty(id) ? "" : " ---> " + id);
        string suffix = $"{result}  {Elapsed(step)}";
        output.Write(step.HeaderPrinted ? suffix + "\n" : step.Header + suffix + "\n");
        _step = null;
    }

    private void Redraw()
    {
        var step = _step!;
        int columns = width();   // read at every frame: the terminal may have been resized
        var lines = new List<string>();
        if (!step.HeaderPrinted)
        {
            string time = "  " + Elapsed(step);
            lines.Add(Cut(step.Header, columns - time.Length) + time);
        }
        var window = new List<string>();
        for (var node = step.Lines.Last; node != null && window.Count < (_partial.Length > 0 ? windowLines - 1 : windowLines); node = node.Previous)
            window.Insert(0, node.Value);
        if (_partial.Length > 0) window.Add(_partial.ToString());
        foreach (string line in window) lines.Add(Cut(Visible(line), columns));

        var draw = new StringBuilder();
        if (_drawn > 0) draw.Append($"\x1b[{_drawn}A");
        foreach (string line in lines) draw.Append("\r\x1b[2K").Append(line).Append('\n');
        if (lines.Count < _drawn) draw.Append("\x1b[J");
        output.Write(draw.ToString());
        _drawn = lines.Count;
    }

    /// <summary>Moves up over the drawn header and window and clears from there to the end of the screen.</summary>
    private void Erase()
    {
        if (_drawn > 0) output.Write($"\x1b[{_drawn}A\r\x1b[J");
        _drawn = 0;
    }

    private string Elapsed(Step step) =>
        (clock() - step.Started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";

    /// <summary>What a terminal would show of an output line: the text after its last carriage return (progress
    /// meters redraw that way), without colour sequences or other control characters, tabs expanded.</summary>
    internal static string Visible(string line)
    {
        int cr = line.TrimEnd('\r').LastIndexOf('\r');
        string text = EscapeSequence().Replace(cr >= 0 ? line[(cr + 1)..] : line, "");
        var visible = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c == '\t') visible.Append(' ', 8 - visible.Length % 8);
            else if (!char.IsControl(c)) visible.Append(c);
        }
        return visible.ToString();
    }

    /// <summary>The longest prefix of at most `columns` characters that does not split a surrogate pair.</summary>
    internal static string Cut(string text, int columns)
    {
        columns = Math.Max(columns, 1);
        if (text.Length <= columns) return text;
        int end = columns;
        if (char.IsHighSurrogate(text[end - 1])) end--;
        return text[..end];
    }

    [GeneratedRegex(@"^ ---> ([0-9a-f]*)$")]
    private static partial Regex ResultLine();

    [GeneratedRegex(@"\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])")]
    private static partial Regex EscapeSequence();
}
