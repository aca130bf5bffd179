using System.Text.RegularExpressions;
using MiniContainer.NativeTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests;

/// <summary>
/// The lessons in docs/lessons never rot: each one is typed, block by block, into one shell against a private daemon
/// in a fresh temporary directory, as a student would type it (conventions: docs/lessons/README.md). A command that
/// must succeed and fails, a "try to break it" command that does not fail as the lesson says, or an expected line
/// missing from the output fails the test, naming the lesson's file and line. Afterwards the daemon goes with
/// everything the lesson made, and nothing of it may be left on the host.
/// </summary>
public sealed class LessonTests(ITestOutputHelper output)
{
    private static string LessonDir => Path.Combine(Daemon.Repo, "docs", "lessons");

    /// <summary>docs/lessons/NN-*.md, in order (README.md there is their index, not a lesson).</summary>
    private static List<string> LessonFiles() =>
        Directory.GetFiles(LessonDir, "*.md").Select(f => Path.GetFileName(f)).Where(f => Regex.IsMatch(f, @"^\d\d-")).Order().ToList();

    public static TheoryData<string> Lessons() => new(LessonFiles());

    [Fact]
    public void There_are_six_lessons_and_each_has_commands_and_a_try_to_break_it_exercise()
    {
        var lessons = LessonFiles();
        Assert.Equal(6, lessons.Count);
        foreach (string lesson in lessons)
        {
            var blocks = LessonScript.Parse(File.ReadAllText(Path.Combine(LessonDir, lesson)), lesson);
            Assert.True(blocks.Count(b => b.Outcome == Outcome.Succeeds) >= 5, $"{lesson}: fewer than 5 command blocks");
            Assert.True(blocks.Any(b => b.Outcome != Outcome.Succeeds), $"{lesson}: no command that must fail (try to break it)");
        }
    }

    [Theory]
    [MemberData(nameof(Lessons))]
    public void Lesson_runs_as_written(string lesson)
    {
        var blocks = LessonScript.Parse(File.ReadAllText(Path.Combine(LessonDir, lesson)), lesson);
        var net = new NetworkDaemon();
        string root = Directory.CreateTempSubdirectory("mc-lesson-").FullName;
        try
        {
            using (var shell = new LessonShell(net.Daemon, root))
                foreach (var block in blocks)
                    RunBlock(lesson, block, shell, net);
            AssertCleanedUp(lesson, net.Daemon);
        }
        finally
        {
            net.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        Assert.Empty(net.Leftovers());
        Assert.Empty(HostState.ShimProcesses(net.Daemon.Root));
        Assert.Empty(HostState.MountsUnder(net.Daemon.Root));
    }

    private void RunBlock(string lesson, LessonBlock block, LessonShell shell, NetworkDaemon net)
    {
        string commands = ForTestDaemon(block.Commands, net);
        var r = shell.Run(commands, Support.TimeLimit(180));
        output.WriteLine($"{lesson} {block} → exit {r.ExitCode}\n{commands}\n{r.Output}");
        string where = $"{lesson}:{block.Line}";
        string shown = $"\n--- the block ---\n{commands}\n--- its output ---\n{r.Output}";
        switch (block.Outcome)
        {
            case Outcome.Succeeds:
                Assert.True(r.ExitCode == 0, $"{where}: line {r.FailedLine} of the block failed with exit {r.ExitCode}{shown}");
                break;
            case Outcome.Fails:
                Assert.True(r.ExitCode != 0, $"{where}: the block must fail, and it succeeded{shown}");
                break;
            case Outcome.ExitsWith:
                Assert.True(r.ExitCode == block.ExitCode, $"{where}: the block must exit {block.ExitCode}, and it exited {r.ExitCode}{shown}");
                break;
        }
        var missing = LessonScript.Missing(block.Expected, r.Output);
        Assert.True(missing.Count == 0, $"{where}: the output lacks {string.Join(" | ", missing)}{shown}");
    }

    /// <summary>The index promises that each lesson cleans up after itself: its last block leaves the daemon as the
    /// lesson found it (no container, user network or volume; only the busybox and mc-probe images).</summary>
    private static void AssertCleanedUp(string lesson, Daemon d)
    {
        void Nothing(string what, params string[] args)
        {
            string[] left = d.Run(args).Ok().Stdout.Lines();
            Assert.True(left.Length == 0, $"{lesson} leaves {what}: {string.Join(", ", left)}");
        }
        Nothing("containers", "ps", "-a", "--format", "{{.Names}}");
        Nothing("networks", "network", "ls", "--filter", "type=custom", "--format", "{{.Name}}");
        Nothing("volumes", "volume", "ls", "-q");
        var images = d.Run("images", "-a", "--format", "{{.Repository}}:{{.Tag}}").Ok().Stdout.Lines().Order();
        Assert.Equal(["busybox:latest", "mc-probe:latest"], images);
    }

    /// <summary>The test daemon's own host names for the default ones a lesson types (docs/lessons/README.md).</summary>
    private static string ForTestDaemon(string commands, NetworkDaemon net) =>
        Regex.Replace(Regex.Replace(commands, @"\bminicontainer0\b", net.Bridge), @"\binet minicontainer\b(?!_)", "inet " + net.Table);
}
