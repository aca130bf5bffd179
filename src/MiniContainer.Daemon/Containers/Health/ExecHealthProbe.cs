using System.Net.Sockets;
using MiniContainer.Api;
using MiniContainer.Linux;
using MiniContainer.Runtime;

namespace MiniContainer.Containers;

/// <summary>Runs one probe of a container's healthcheck and reports how it went.</summary>
public interface IHealthProbe
{
    /// <summary>Runs <paramref name="command"/> in the container; a probe still running after <paramref name="timeout"/>
    /// is killed and reported as a failure. Cancelling <paramref name="ct"/> (the container stopped) kills it too and
    /// throws OperationCanceledException. The result's Start is filled in by the caller.</summary>
    Task<HealthcheckResult> RunAsync(Container c, List<string> command, TimeSpan timeout, CancellationToken ct);
}

/// <summary>
/// A probe is an exec in the container (its namespaces, cgroup, user, capabilities and seccomp filter, through the
/// same shim as `docker exec`), with stdout and stderr read into one 4096-byte buffer. The timeout starts once the
/// process runs, as dockerd's does; at the timeout the probe's whole process group is killed (it is a session leader,
/// so `sh -c 'sleep 60'` goes with its sleep) and the result is exit -1, "Health check exceeded timeout (…)".
/// </summary>
public sealed class ExecHealthProbe(ExecService execs) : IHealthProbe
{
    public async Task<HealthcheckResult> RunAsync(Container c, List<string> command, TimeSpan timeout, CancellationToken ct)
    {
        ExecInstance exec;
        NetworkStream? output;
        try
        {
            exec = execs.CreateProbe(c, command);
            output = await execs.StartAsync(exec, detach: false, tty: false);
        }
        // The container stopped meanwhile, or the program cannot run (StartFailedException: e.g. it does not exist).
        catch (ApiException e) { return Failed(e.Message); }
        try
        {
            var buffer = new LimitedOutput();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            int? exitCode = null;
            try
            {
                while (output != null && await ShimProtocol.ReadFrameAsync(output, deadline.Token) is { } frame)
                {
                    if (frame.Type == ShimProtocol.Exited) { exitCode = ContainerService.ParseExitRecord(frame.Payload)?.ExitCode; break; }
                    buffer.Append(frame.Payload);
                }
            }
            catch (OperationCanceledException)
            {
                await KillAsync(exec);
                ct.ThrowIfCancellationRequested();
                return new HealthcheckResult { ExitCode = -1, Output = HealthRules.TimeoutMessage(timeout, buffer.ToString()), End = DateTimeOffset.UtcNow };
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
            // The exit code comes with the end of the output; if the connection broke first, from the exec's own record.
            if (exitCode is null) await exec.Ended.Task.WaitAsync(TimeSpan.FromSeconds(5), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            return new HealthcheckResult { ExitCode = exitCode ?? exec.ExitCode ?? -1, Output = buffer.ToString(), End = DateTimeOffset.UtcNow };
        }
        finally
        {
            output?.Dispose();
            execs.Forget(exec);
        }
    }

    /// <summary>A probe that could not run at all, as dockerd records one: exit -1 and the error.</summary>
    private static HealthcheckResult Failed(string message) => new() { ExitCode = -1, Output = message, End = DateTimeOffset.UtcNow };

    /// <summary>SIGKILL the probe's process group, and wait (briefly) for its shim to record the end, so that slow probes
    /// do not pile up.</summary>
    private static async Task KillAsync(ExecInstance exec)
    {
        if (exec.Ended.Task.IsCompleted || exec.Pid <= 0) return;
        if (!Kernel.TryKillProcessGroup(exec.Pid, Kernel.SIGKILL)) Kernel.TryKill(exec.Pid, Kernel.SIGKILL);
        await exec.Ended.Task.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
