using System.Diagnostics;

namespace MiniContainer.Shim.Oci;

/// <summary>
/// runtime-spec's hooks (config.md "POSIX-platform Hooks"): each runs with its args and env, reads the container's
/// state JSON on stdin, and fails the step when it exits non-zero or outlives its timeout (seconds).
/// Where each kind runs: prestart and createRuntime in `create` (runtime namespaces, after the namespaces exist,
/// before the init stage mounts anything), createContainer in the init stage before pivot_root (the container's
/// mount namespace), startContainer in the init stage after `start` and before execve (the container's root),
/// poststart in `start`, poststop in `delete`.
/// </summary>
/// <remarks>The hook's program is started with its path as argv[0]: args[0] is not passed separately (.NET's
/// process start has no way to set argv[0]); args[1..] follow as usual.</remarks>
public static class OciHookRunner
{
    /// <summary>The hooks in order; the first that fails fails the step (prestart, createRuntime, createContainer,
    /// startContainer: runtime-spec's lifecycle stops there).</summary>
    public static void Run(string kind, List<OciHook>? hooks, string stateJson)
    {
        foreach (var hook in hooks ?? []) RunOne(kind, hook, stateJson);
    }

    /// <summary>poststart and poststop: a hook that fails is a warning, and the hooks after it still run (runtime.md's
    /// lifecycle: "the runtime MUST log a warning, but the remaining hooks and lifecycle continue").</summary>
    public static void RunWarningOnFailure(string kind, List<OciHook>? hooks, string stateJson, Action<string> warn)
    {
        foreach (var hook in hooks ?? [])
        {
            try { RunOne(kind, hook, stateJson); }
            catch (OciConfigException e) { warn(e.Message); }
        }
    }

    private static void RunOne(string kind, OciHook hook, string stateJson)
    {
        var info = new ProcessStartInfo(hook.Path) { RedirectStandardInput = true, UseShellExecute = false };
        foreach (string a in (hook.Args ?? []).Skip(1)) info.ArgumentList.Add(a);
        info.Environment.Clear();
        foreach (string e in hook.Env ?? [])
        {
            int eq = e.IndexOf('=');
            if (eq > 0) info.Environment[e[..eq]] = e[(eq + 1)..];
        }
        Process process;
        try { process = Process.Start(info)!; }
        catch (Exception e) { throw new OciConfigException($"{kind} hook {hook.Path}: {e.Message}"); }
        using (process)
        {
            try { process.StandardInput.Write(stateJson); process.StandardInput.Close(); }
            catch (IOException) { }   // a hook that does not read its stdin is fine
            int timeoutMs = hook.Timeout is int t and > 0 ? t * 1000 : -1;
            if (!process.WaitForExit(timeoutMs))
            {
                try { process.Kill(); } catch (InvalidOperationException) { }
                process.WaitForExit();
                throw new OciConfigException($"{kind} hook {hook.Path}: timed out after {hook.Timeout}s");
            }
            if (process.ExitCode != 0) throw new OciConfigException($"{kind} hook {hook.Path}: exit status {process.ExitCode}");
        }
    }
}
