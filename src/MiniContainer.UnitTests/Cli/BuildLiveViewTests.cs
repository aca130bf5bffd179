using System.Text;
using System.Text.Json.Nodes;
using MiniContainer.Cli.Output;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

/// <summary>The build's terminal view, drawn into a StringWriter with a fixed width and a clock the test moves.</summary>
public sealed class BuildLiveViewTests
{
    private TimeSpan _now;
    private readonly StringWriter _output = new();

    private BuildLiveView View(int width = 60, int windowLines = 6) => new(_output, () => width, () => _now, windowLines);

    /// <summary>What the escape sequences leave on a screen: the handful of controls the view uses, applied to lines.</summary>
    private static List<string> Screen(string written)
    {
        var rows = new List<StringBuilder> { new() };
        int row = 0, col = 0;
        for (int i = 0; i < written.Length; i++)
        {
            char c = written[i];
            if (c == '\x1b')
            {
                int end = i + 2;
                while (!char.IsLetter(written[end])) end++;
                string arg = written[(i + 2)..end];
                switch (written[end])
                {
                    case 'A': row -= int.Parse(arg); break;
                    case 'B': row += int.Parse(arg); break;
                    case 'K': rows[row].Clear(); break;
                    case 'J': rows[row].Length = Math.Min(rows[row].Length, col); rows.RemoveRange(row + 1, rows.Count - row - 1); break;
                }
                i = end;
            }
            else if (c == '\r') col = 0;
            else if (c == '\n') { row++; col = 0; while (rows.Count <= row) rows.Add(new()); }
            else
            {
                var line = rows[row];
                if (col < line.Length) line[col] = c; else line.Append(c);
                col++;
            }
        }
        return rows.Select(r => r.ToString()).ToList();
    }

    [Fact]
    public void A_cached_step_collapses_to_one_summary_line()
    {
        var view = View();
        view.Stream("Step 2/3 : COPY . /app\n");
        Assert.Equal("\r\x1b[2KStep 2/3 : COPY . /app  0.0s\n", _output.ToString());
        _now = TimeSpan.FromMilliseconds(300);
        view.Stream(" ---> Using cache\n ---> 0123456789ab\n");
        Assert.Equal(
            "\r\x1b[2KStep 2/3 : COPY . /app  0.0s\n" +
            "\x1b[1A\r\x1b[J" +
            "Step 2/3 : COPY . /app ---> Using cache ---> 0123456789ab  0.3s\n", _output.ToString());
        view.Complete();
        Assert.Equal(["Step 2/3 : COPY . /app ---> Using cache ---> 0123456789ab  0.3s", ""], Screen(_output.ToString()));
    }

    [Fact]
    public void A_run_with_ten_lines_shows_the_last_six_then_collapses()
    {
        var view = View();
        view.Stream("Step 3/3 : RUN make\n ---> Running in abcdef012345\n");
        for (int i = 1; i <= 10; i++)
        {
            _now = TimeSpan.FromSeconds(i * 0.1);
            view.Stream($"line {i}\n");
        }
        // The last frame: up over header + 6 lines, then each line cleared and redrawn.
        Assert.EndsWith(
            "\x1b[7A\r\x1b[2KStep 3/3 : RUN make  1.0s\n" + string.Concat(Enumerable.Range(5, 6).Select(i => $"\r\x1b[2Kline {i}\n")),
            _output.ToString());
        Assert.Equal(["Step 3/3 : RUN make  1.0s", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10", ""], Screen(_output.ToString()));

        _now = TimeSpan.FromSeconds(4.2);
        view.Stream("Removing intermediate container abcdef012345\n ---> 0123456789ab\nSuccessfully built 0123456789ab\n");
        view.Complete();
        Assert.Equal(["Step 3/3 : RUN make ---> 0123456789ab  4.2s", "Successfully built 0123456789ab", ""], Screen(_output.ToString()));
    }

    [Fact]
    public void Long_lines_and_headers_are_cut_to_the_width()
    {
        var view = View(width: 20);
        view.Stream("Step 1/1 : RUN echo aaaaaaaaaaaaaaaaaaaa\n");
        view.Stream(new string('x', 30) + "\n");
        Assert.Equal(["Step 1/1 : RUN  0.0s", new string('x', 20), ""], Screen(_output.ToString()));
        view.Stream(" ---> 0123456789ab\n");   // the summary stays, whole: it is never redrawn, so it may wrap
        Assert.Equal(["Step 1/1 : RUN echo aaaaaaaaaaaaaaaaaaaa ---> 0123456789ab  0.0s", ""], Screen(_output.ToString()));
    }

    [Fact]
    public void A_resized_terminal_gets_lines_cut_to_its_new_width()
    {
        int columns = 40;
        var view = new BuildLiveView(_output, () => columns, () => _now);
        view.Stream("Step 1/1 : RUN build\n" + new string('x', 50) + "\n");
        columns = 25;
        view.Tick();
        Assert.Equal(["Step 1/1 : RUN buil  0.0s", new string('x', 25), ""], Screen(_output.ToString()));
    }

    [Fact]
    public void The_timer_moves_the_elapsed_time_of_a_silent_step_and_does_nothing_between_steps()
    {
        var view = View();
        view.Tick();
        Assert.Equal("", _output.ToString());
        view.Stream("Step 1/1 : RUN sleep 5\n");
        _now = TimeSpan.FromSeconds(4.2);
        view.Tick();
        Assert.Equal("\r\x1b[2KStep 1/1 : RUN sleep 5  0.0s\n\x1b[1A\r\x1b[2KStep 1/1 : RUN sleep 5  4.2s\n", _output.ToString());
    }

    [Fact]
    public void On_error_the_failing_steps_whole_output_is_printed()
    {
        var view = View(windowLines: 3);
        view.Stream("Step 1/2 : ENV A=1\n ---> Using cache\n ---> 0123456789ab\nStep 2/2 : RUN make\n ---> Running in abcdef012345\n");
        for (int i = 1; i <= 10; i++) view.Stream($"cc -c file{i}.c\n");
        view.Stream("make: *** [all] Error 1");   // no newline before the stream ends
        _now = TimeSpan.FromSeconds(2);
        view.Fail();
        var expected = new List<string> { "Step 1/2 : ENV A=1 ---> Using cache ---> 0123456789ab  0.0s", "Step 2/2 : RUN make  2.0s", " ---> Running in abcdef012345" };
        expected.AddRange(Enumerable.Range(1, 10).Select(i => $"cc -c file{i}.c"));
        expected.Add("make: *** [all] Error 1");
        expected.Add("");
        Assert.Equal(expected, Screen(_output.ToString()));
        view.Tick();   // the timer firing after the failure draws nothing
        Assert.Equal(expected, Screen(_output.ToString()));
    }

    [Fact]
    public void A_line_split_across_chunks_is_kept_until_its_newline()
    {
        var view = View(width: 30);
        view.Stream("Step 1/1 : RUN ./greet\n");
        view.Stream("héllo wo");
        Assert.Equal(["Step 1/1 : RUN ./greet  0.0s", "héllo wo", ""], Screen(_output.ToString()));
        view.Stream("rld 🙂\nbye");
        Assert.Equal(["Step 1/1 : RUN ./greet  0.0s", "héllo world 🙂", "bye", ""], Screen(_output.ToString()));
        view.Stream("\n ---> 0123456789ab\n");
        view.Complete();
        Assert.Equal(["Step 1/1 : RUN ./greet ---> 0123456789ab  0.0s", ""], Screen(_output.ToString()));
    }

    [Fact]
    public void Cutting_never_splits_a_surrogate_pair_and_visible_text_drops_colours_and_carriage_returns()
    {
        Assert.Equal("ab", BuildLiveView.Cut("ab🙂c", 3));
        Assert.Equal("ab🙂", BuildLiveView.Cut("ab🙂c", 4));
        Assert.Equal("100% done", BuildLiveView.Visible("10%\r55%\r\x1b[32m100%\x1b[0m done\r"));
        Assert.Equal("a       b", BuildLiveView.Visible("a\tb"));
    }

    [Fact]
    public void A_FROM_pull_is_drawn_below_its_header_and_the_result_follows()
    {
        var view = View();
        view.Stream("Step 1/2 : FROM busybox\n");
        view.Status(new JsonObject { ["status"] = "Pulling from library/busybox", ["id"] = "latest" });
        view.Status(new JsonObject { ["status"] = "Status: Downloaded newer image for busybox:latest" });
        _now = TimeSpan.FromSeconds(1.5);
        view.Stream(" ---> 0123456789ab\nStep 2/2 : ENV A=1\n ---> Using cache\n ---> 123456789abc\n");
        view.Complete();
        Assert.Equal([
            "Step 1/2 : FROM busybox",
            "latest: Pulling from library/busybox",
            "Status: Downloaded newer image for busybox:latest",
            " ---> 0123456789ab  1.5s",
            "Step 2/2 : ENV A=1 ---> Using cache ---> 123456789abc  0.0s",
            "",
        ], Screen(_output.ToString()));
    }

    [Fact]
    public void Lines_outside_a_step_are_printed_as_they_are()
    {
        var view = View();
        view.Stream("Successfully built 0123456789ab\nSuccessfully tagged app:latest\n");
        view.Complete();
        Assert.Equal("Successfully built 0123456789ab\nSuccessfully tagged app:latest\n", _output.ToString());
    }

    [Fact]
    public void A_step_keeps_the_last_mebibyte_of_its_output_for_the_failure_report()
    {
        var view = View();
        view.Stream("Step 1/1 : RUN yes\n");
        string line = new('y', 1023);   // 1 KiB with its newline
        for (int i = 0; i < 1100; i++) view.Stream(line + "\n");
        _output.GetStringBuilder().Clear();
        view.Fail();
        var printed = _output.ToString().Split('\n');
        Assert.Equal("[76 earlier lines not kept]", printed[1]);
        Assert.Equal(1024, printed.Count(l => l == line));
    }

    /// <summary>A StringWriter that notices two threads inside Write at once (each write lingers a little).</summary>
    private sealed class OverlapDetector : StringWriter
    {
        private int _inside;
        public bool Overlapped { get; private set; }
        public override void Write(string? value)
        {
            if (Interlocked.Increment(ref _inside) > 1) Overlapped = true;
            Thread.SpinWait(2000);
            base.Write(value);
            Interlocked.Decrement(ref _inside);
        }
    }

    [Fact]
    public void The_timer_and_the_message_loop_never_interleave_their_writes()
    {
        var output = new OverlapDetector();
        var view = new BuildLiveView(output, () => 60, () => _now);
        view.Stream("Step 1/1 : RUN count\n");
        using var stop = new CancellationTokenSource();
        using var ticking = new ManualResetEventSlim();
        var ticker = Task.Run(() => { while (!stop.IsCancellationRequested) { view.Tick(); ticking.Set(); } });
        ticking.Wait();
        for (int i = 1; i <= 2000; i++) view.Stream($"line {i}\n");
        stop.Cancel();
        ticker.Wait();
        view.Stream(" ---> 0123456789ab\n");
        Assert.False(output.Overlapped);
        Assert.Equal(["Step 1/1 : RUN count ---> 0123456789ab  0.0s", ""], Screen(output.ToString()));
    }
}
