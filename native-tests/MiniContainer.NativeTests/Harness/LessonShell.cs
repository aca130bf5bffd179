using System.Diagnostics;

namespace MiniContainer.NativeTests.Harness;

/// <summary>How one block ran: its exit status (that of its first failing command, or 0), that command's line
/// within the block, and everything it printed (stdout and stderr together, as a terminal shows them).</summary>
public sealed record BlockResult(int ExitCode, int FailedLine, string Output);

/// <summary>
/// The student's terminal: one bash for a whole lesson, so variables and the current directory carry from block to
/// block, against a test daemon. Its PATH starts with a directory holding a <c>sudo</c> that runs its command as is
/// (the tests are root) and a <c>minicontainer</c> that is the built CLI; MINICONTAINER_HOST points that CLI at the
/// daemon. Each block is sourced from a file with an ERR trap that stops it at its first failing command (as
/// <c>set -e</c> would, without ending the shell), and bash reports back on its stdout, which nothing else writes to.
/// </summary>
public sealed class LessonShell : IDisposable
{
    private readonly Process _bash;
    private readonly string _dir;
    private int _blocks;

    public string WorkDir { get; }

    public LessonShell(Daemon daemon, string root)
    {
        _dir = root;
        WorkDir = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
        string bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        WriteExecutable(Path.Combine(bin, "sudo"), "#!/bin/sh\nexec \"$@\"\n");
        WriteExecutable(Path.Combine(bin, "minicontainer"), $"#!/bin/sh\nexec '{Daemon.Cli}' \"$@\"\n");
        // Lesson 6's OCI runtime keeps its state under the test's root, not in /run/minicontainer-runc.
        string runc = Path.Combine(Daemon.Repo, "artifacts", "bin", "minicontainer-runc");
        WriteExecutable(Path.Combine(bin, "minicontainer-runc"), $"#!/bin/sh\nexec '{runc}' --root '{Path.Combine(root, "runc")}' \"$@\"\n");

        var psi = new ProcessStartInfo("bash", ["--noprofile", "--norc"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false, WorkingDirectory = WorkDir,
        };
        psi.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["MINICONTAINER_HOST"] = daemon.Host;
        psi.Environment["HOME"] = WorkDir;
        psi.Environment["TERM"] = "dumb";
        _bash = Process.Start(psi)!;
        _bash.ErrorDataReceived += (_, _) => { };
        _bash.BeginErrorReadLine();
        // __in is set only while a block runs: the trap then ends that block (return from the sourced file) and
        // records the failing command's status and line; outside a block (the source command itself) it does nothing.
        Send("set -o pipefail; trap '__st=$?; if [ -n \"$__in\" ]; then __in=; __fail=$__st; __line=$LINENO; return $__st; fi' ERR");
    }

    private static void WriteExecutable(string path, string text)
    {
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    private void Send(string line)
    {
        _bash.StandardInput.WriteLine(line);
        _bash.StandardInput.Flush();
    }

    /// <summary>Runs one block in the lesson's shell; throws TimeoutException (and ends the shell) when it hangs.</summary>
    public BlockResult Run(string commands, TimeSpan timeout)
    {
        int n = ++_blocks;
        string script = Path.Combine(_dir, $"block{n}.sh"), output = Path.Combine(_dir, $"block{n}.out");
        File.WriteAllText(script, commands + "\n");
        Send($"__fail=0; __line=0; __in=1; . '{script}' > '{output}' 2>&1 < /dev/null; __in=; echo \"__done {n} $__fail $__line\"");
        var reply = _bash.StandardOutput.ReadLineAsync();
        if (!reply.Wait(timeout))
        {
            _bash.Kill(entireProcessTree: true);
            throw new TimeoutException($"the block did not finish within {timeout.TotalSeconds:0} s; its output so far:\n{File.ReadAllText(output)}");
        }
        string[] parts = (reply.Result ?? throw new InvalidOperationException("the lesson's shell exited")).Split(' ');
        if (parts.Length != 4 || parts[0] != "__done" || parts[1] != n.ToString())
            throw new InvalidOperationException($"unexpected answer from the lesson's shell: {reply.Result}");
        return new BlockResult(int.Parse(parts[2]), int.Parse(parts[3]), File.ReadAllText(output));
    }

    public void Dispose()
    {
        try
        {
            if (!_bash.HasExited)
            {
                _bash.StandardInput.Close();
                if (!_bash.WaitForExit(10_000)) _bash.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException) { }
        _bash.Dispose();
    }
}
