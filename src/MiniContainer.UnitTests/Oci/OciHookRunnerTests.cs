using MiniContainer.Shim.Oci;
using Xunit;

namespace MiniContainer.UnitTests.Oci;

/// <summary>How a failing hook ends its step (real processes: /bin/false and /bin/sh; no root needed).</summary>
public sealed class OciHookRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-oci-hooks").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private OciHook Append(string line) =>
        new() { Path = "/bin/sh", Args = ["sh", "-c", $"echo {line} >> {Path.Combine(_dir, "out")}"] };

    private static readonly OciHook Fails = new() { Path = "/bin/false", Args = ["false"] };

    [Fact]
    public void A_failing_poststart_or_poststop_hook_is_a_warning_and_the_next_hooks_still_run()
    {
        var warnings = new List<string>();
        OciHookRunner.RunWarningOnFailure("poststart", [Fails, Append("after")], "{}", warnings.Add);
        Assert.Equal("after\n", File.ReadAllText(Path.Combine(_dir, "out")));   // runtime-tools' poststart_fail checks this
        Assert.Equal(["poststart hook /bin/false: exit status 1"], warnings);
    }

    [Fact]
    public void A_failing_prestart_hook_fails_the_step_and_stops_the_hooks_after_it()
    {
        var e = Assert.Throws<OciConfigException>(() => OciHookRunner.Run("prestart", [Fails, Append("after")], "{}"));
        Assert.Contains("prestart hook /bin/false: exit status 1", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "out")));
    }
}
