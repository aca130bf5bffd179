using MiniContainer.Api;
using MiniContainer.Cli;
using MiniContainer.Containers;
using MiniContainer.Security.Seccomp;
using Xunit;

namespace MiniContainer.UnitTests.Security;

/// <summary>
/// --security-opt: the daemon's typed reading of HostConfig.SecurityOpt (dockerd's rules and wording), and the
/// CLI's preparation of it (a profile file sent as its JSON content, systempaths=unconfined as empty path lists).
/// </summary>
public sealed class SecurityOptionsTests
{
    [Fact]
    public void No_options_mean_the_default_profile_and_nothing_else()
    {
        Assert.Equal(SecurityOptions.Default, SecurityOptions.Parse(null));
        Assert.Equal(SeccompMode.Default, SecurityOptions.Parse([]).Seccomp);
    }

    [Theory]
    [InlineData("no-new-privileges", true)]
    [InlineData("no-new-privileges=true", true)]
    [InlineData("no-new-privileges:true", true)]
    [InlineData("no-new-privileges=1", true)]
    [InlineData("no-new-privileges=false", false)]
    [InlineData("no-new-privileges=False", false)]
    public void No_new_privileges_takes_Gos_booleans(string opt, bool expected) =>
        Assert.Equal(expected, SecurityOptions.Parse([opt]).NoNewPrivileges);

    [Fact]
    public void The_last_no_new_privileges_wins()
    {
        Assert.False(SecurityOptions.Parse(["no-new-privileges", "no-new-privileges=false"]).NoNewPrivileges);
    }

    [Fact]
    public void Seccomp_takes_unconfined_builtin_or_a_profile()
    {
        Assert.Equal(SeccompMode.Unconfined, SecurityOptions.Parse(["seccomp=unconfined"]).Seccomp);
        Assert.Equal(SeccompMode.Unconfined, SecurityOptions.Parse(["seccomp:unconfined"]).Seccomp);
        Assert.Equal(SeccompMode.Default, SecurityOptions.Parse(["seccomp=unconfined", "seccomp=builtin"]).Seccomp);
        var custom = SecurityOptions.Parse(["""seccomp={"defaultAction":"SCMP_ACT_LOG"}"""]);
        Assert.Equal(SeccompMode.Custom, custom.Seccomp);
        Assert.Equal("SCMP_ACT_LOG", custom.SeccompProfile!.DefaultAction);
    }

    [Fact]
    public void Unconfined_and_privileged_containers_get_no_filter_and_others_do()
    {
        Assert.Null(SecurityOptions.Parse(["seccomp=unconfined"]).CompileFilter(false, null, null));
        Assert.Null(SecurityOptions.Default.CompileFilter(true, null, null));
        var filter = SecurityOptions.Default.CompileFilter(false, null, null)!;
        Assert.Equal(SeccompCompiler.RetErrno | 1, Bpf.Run(filter, SeccompCompiler.AuditArchX86_64, (uint)SyscallTableX86_64.Numbers["mount"], []));
        var admin = SecurityOptions.Default.CompileFilter(false, ["SYS_ADMIN"], null)!;
        Assert.Equal(SeccompCompiler.RetAllow, Bpf.Run(admin, SeccompCompiler.AuditArchX86_64, (uint)SyscallTableX86_64.Numbers["mount"], []));
        // --cap-drop CHOWN... and chroot goes with CAP_SYS_CHROOT.
        var noChroot = SecurityOptions.Default.CompileFilter(false, null, ["SYS_CHROOT"])!;
        Assert.Equal(SeccompCompiler.RetErrno | 1, Bpf.Run(noChroot, SeccompCompiler.AuditArchX86_64, (uint)SyscallTableX86_64.Numbers["chroot"], []));
    }

    [Fact]
    public void Systempaths_unconfined_is_read_from_the_option_or_from_empty_path_lists()
    {
        Assert.True(SecurityOptions.Parse(["systempaths=unconfined"]).SystemPathsUnconfined);
        Assert.True(SecurityOptions.Of(new HostConfig { MaskedPaths = [], ReadonlyPaths = [] }).SystemPathsUnconfined);
        Assert.False(SecurityOptions.Of(new HostConfig()).SystemPathsUnconfined);
    }

    [Fact]
    public void AppArmor_unconfined_and_label_disable_are_what_MiniContainer_does_anyway()
    {
        Assert.Equal(SecurityOptions.Default, SecurityOptions.Parse(["apparmor=unconfined", "label=disable", "disable"]));
    }

    [Theory]
    [InlineData("bogus", "invalid --security-opt 1: \"bogus\"")]
    [InlineData("bogus=1", "invalid --security-opt 2: \"bogus=1\"")]
    [InlineData("writable-cgroups=true", "invalid --security-opt 2: \"writable-cgroups=true\"")]
    [InlineData("no-new-privileges=yes", "invalid --security-opt 2: \"no-new-privileges=yes\"")]
    [InlineData("systempaths=confined", "invalid --security-opt 2: \"systempaths=confined\"")]
    [InlineData("apparmor=docker-default", "AppArmor is not supported by this daemon")]
    [InlineData("label=user:USER", "SELinux labels are not supported by this daemon")]
    [InlineData("seccomp=/etc/profile.json", "Decoding seccomp profile failed")]   // a path reached the daemon: it wants the content
    public void Everything_else_is_refused_as_a_bad_request(string opt, string expected)
    {
        var e = Assert.Throws<BadRequestException>(() => SecurityOptions.Parse([opt]));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_profile_the_compiler_refuses_is_a_bad_request_too()
    {
        var options = SecurityOptions.Parse(["""seccomp={"defaultAction":"SCMP_ACT_NOTIFY"}"""]);
        var e = Assert.Throws<BadRequestException>(() => options.CompileFilter(false, null, null));
        Assert.Contains("SCMP_ACT_NOTIFY is not supported", e.Message);
    }

    // ------------------------------------------------------------ POST /containers/create

    private static ContainerRecord Create(string hostConfig) =>
        CreateRequest.Build(new string('a', 64), "sec", (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(
            $$"""{"Image":"busybox","Cmd":["true"],"HostConfig":{{hostConfig}}}""")!,
            MiniContainer.UnitTests.Containers.TestImages.WithDefaults("""{"Cmd":["sh"]}"""));

    [Fact]
    public void Create_keeps_SecurityOpt_as_given_for_inspect()
    {
        var r = Create("""{"SecurityOpt":["no-new-privileges:true","seccomp=unconfined"]}""");
        Assert.Equal(["no-new-privileges:true", "seccomp=unconfined"], r.HostConfig.SecurityOpt);
        Assert.True(SecurityOptions.Of(r.HostConfig).NoNewPrivileges);
    }

    [Theory]
    [InlineData("""{"SecurityOpt":["bogus=1"]}""", "invalid --security-opt 2")]
    [InlineData("""{"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_NOTIFY\"}"]}""", "SCMP_ACT_NOTIFY is not supported")]
    [InlineData("""{"MaskedPaths":["proc/kcore"]}""", "it must be absolute")]
    public void Create_refuses_bad_security_options_before_anything_exists(string hostConfig, string expected)
    {
        var e = Assert.Throws<BadRequestException>(() => Create(hostConfig));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Create_reads_the_docker_clis_systempaths_unconfined()
    {
        var r = Create("""{"MaskedPaths":[],"ReadonlyPaths":[]}""");
        Assert.True(SecurityOptions.Of(r.HostConfig).SystemPathsUnconfined);
        Assert.Empty(r.HostConfig.MaskedPaths!);
        Assert.Empty(Create("""{"SecurityOpt":["systempaths=unconfined"]}""").HostConfig.ReadonlyPaths!);
    }

    [Fact]
    public void Create_stores_dockers_default_paths_or_the_lists_the_api_gives()
    {
        Assert.Contains("/sys/firmware", Create("{}").HostConfig.MaskedPaths!);
        Assert.Contains("/proc/sys", Create("{}").HostConfig.ReadonlyPaths!);
        var custom = Create("""{"MaskedPaths":["/proc/cpuinfo"]}""").HostConfig;
        Assert.Equal(["/proc/cpuinfo"], custom.MaskedPaths!);
        Assert.Contains("/proc/sys", custom.ReadonlyPaths!);   // the list not given keeps its default
        Assert.Empty(Create("""{"Privileged":true}""").HostConfig.MaskedPaths!);
    }

    // ------------------------------------------------------------ the CLI side

    [Fact]
    public void The_cli_sends_a_profile_file_as_its_compacted_json()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mc-profile-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": []\n}\n");
        try
        {
            var (options, unconfined) = MiniContainer.Cli.Flags.SecurityOpts.Prepare(["seccomp=" + path, "no-new-privileges", "seccomp=unconfined"]);
            Assert.Equal(["""seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}""", "no-new-privileges", "seccomp=unconfined"], options);
            Assert.False(unconfined);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_cli_turns_systempaths_unconfined_into_empty_path_lists_as_docker_does()
    {
        var (options, unconfined) = MiniContainer.Cli.Flags.SecurityOpts.Prepare(["systempaths=unconfined"]);
        Assert.Empty(options);
        Assert.True(unconfined);
    }

    [Theory]
    [InlineData("seccomp", "Invalid --security-opt: \"seccomp\"")]
    [InlineData("label", "Invalid --security-opt: \"label\"")]
    [InlineData("seccomp=/nonexistent/p.json", "opening seccomp profile (/nonexistent/p.json) failed: open /nonexistent/p.json: no such file or directory")]
    public void The_cli_refuses_what_docker_refuses_before_sending(string opt, string expected)
    {
        var e = Assert.Throws<UsageException>(() => MiniContainer.Cli.Flags.SecurityOpts.Prepare([opt]));
        Assert.Equal(expected, e.Message);
    }
}
