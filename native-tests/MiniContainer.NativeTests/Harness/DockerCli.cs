using Xunit;
using Xunit.Abstractions;

namespace MiniContainer.NativeTests.Harness;

/// <summary>
/// The real docker CLI (/usr/local/bin/docker) pointed at a test daemon's socket, with a config directory of its own
/// (made here and removed on Dispose, unless the test passes one). Every call is written to the test's output.
/// </summary>
public sealed class DockerCli(Daemon daemon, ITestOutputHelper output, string? configDir = null) : IDisposable
{
    public const string Path = "/usr/local/bin/docker";
    private readonly bool _ownConfig = configDir is null;
    public string ConfigDir { get; } = configDir ?? Directory.CreateTempSubdirectory("mc-docker-config-").FullName;

    public CommandResult Run(params string[] args) => RunWithInput(null, args);

    public CommandResult RunWithInput(string? stdin, params string[] args) => RunWithInput(stdin, 60_000, args);

    public CommandResult RunWithInput(string? stdin, int timeoutMs, params string[] args)
    {
        Assert.True(File.Exists(Path), $"the docker CLI is not at {Path}");
        var r = Daemon.Exec(Path, new[] { "--config", ConfigDir, "-H", daemon.Host }.Concat(args).ToArray(), stdin, timeoutMs);
        output.WriteLine($"docker {string.Join(' ', args)} → {r}");
        return r;
    }

    public void Dispose()
    {
        if (!_ownConfig) return;
        try { Directory.Delete(ConfigDir, recursive: true); } catch (IOException) { }
    }
}
