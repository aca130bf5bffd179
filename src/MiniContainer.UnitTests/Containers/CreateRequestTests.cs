using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Images;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>
/// POST /containers/create: Docker's rules for what runs (Entrypoint + Cmd against the image's), the environment,
/// and the checks that turn a bad `docker run` into Docker's own error message.
/// </summary>
public sealed class CreateRequestTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    // Like busybox: a CMD and no ENTRYPOINT.
    private static readonly Lazy<Image> Shell = new(() => TestImages.WithDefaults(
        """{"Cmd":["sh"],"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin","LANG=C"],"WorkingDir":"/srv","User":"app","Labels":{"maintainer":"ops","tier":"base"},"StopSignal":"SIGQUIT"}"""));

    // Like nginx: an ENTRYPOINT script and a CMD for it.
    private static readonly Lazy<Image> Nginx = new(() => TestImages.WithDefaults(
        """{"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],"Env":["PATH=/bin"]}"""));

    private static ContainerRecord Build(string body, Image? image = null, string name = "web") =>
        CreateRequest.Build(Id, name, (JsonObject)JsonNode.Parse(body)!, image ?? Shell.Value);

    private static List<string> Argv(ContainerRecord r) => [r.Path, .. r.Args];

    // ------------------------------------------------------------ Entrypoint and Cmd

    // ------------------------------------------------------------ Links

    [Theory]
    [InlineData("db", "db:db")]
    [InlineData("db:database", "db:database")]
    [InlineData("/proj_db_1:/proj_app_run_1/db", "proj_db_1:db")]
    public void Links_are_kept_as_name_and_alias(string link, string kept)
        => Assert.Equal([kept], Build($$$"""{"Image":"busybox","HostConfig":{"NetworkMode":"appnet","Links":["{{{link}}}"]}}""").HostConfig.Links);

    [Fact]
    public void Legacy_links_on_the_default_bridge_are_kept_too_and_a_link_knows_the_name_it_gives()
    {
        Assert.Equal(["db:db"], Build("""{"Image":"busybox","HostConfig":{"Links":["db"]}}""").HostConfig.Links);
        Assert.Equal("/web/database", ContainerLink.Parse("/db:/web/database").NameUnder("/web"));
        Assert.Equal(new ContainerLink("db", "database"), ContainerLink.Parse("db:database"));
    }

    [Fact]
    public void Without_a_command_the_images_cmd_runs()
    {
        var r = Build("""{"Image":"busybox"}""");
        Assert.Equal(["sh"], Argv(r));
        Assert.Equal(["sh"], r.Config.Cmd);
        Assert.Null(r.Config.Entrypoint);
    }

    [Fact]
    public void A_command_replaces_the_images_cmd()
    {
        Assert.Equal(["echo", "hi"], Argv(Build("""{"Image":"busybox","Cmd":["echo","hi"]}""")));
    }

    [Fact]
    public void The_images_entrypoint_runs_with_the_images_cmd_or_the_given_command()
    {
        Assert.Equal(["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"], Argv(Build("""{"Image":"nginx"}""", Nginx.Value)));
        Assert.Equal(["/docker-entrypoint.sh", "sh"], Argv(Build("""{"Image":"nginx","Cmd":["sh"]}""", Nginx.Value)));
    }

    [Fact]
    public void An_explicit_entrypoint_drops_the_images_cmd()
    {
        var r = Build("""{"Image":"nginx","Entrypoint":["/bin/echo"]}""", Nginx.Value);
        Assert.Equal(["/bin/echo"], Argv(r));
        Assert.Equal(["/bin/echo"], r.Config.Entrypoint);
        Assert.Null(r.Config.Cmd);

        Assert.Equal(["/bin/echo", "x"], Argv(Build("""{"Image":"nginx","Entrypoint":["/bin/echo"],"Cmd":["x"]}""", Nginx.Value)));
    }

    [Fact]
    public void An_empty_entrypoint_clears_the_images_and_runs_the_command_alone()
    {
        // `docker run --entrypoint "" nginx ls /` sends Entrypoint [""].
        var r = Build("""{"Image":"nginx","Entrypoint":[""],"Cmd":["ls","/"]}""", Nginx.Value);
        Assert.Equal(["ls", "/"], Argv(r));
        Assert.Null(r.Config.Entrypoint);
    }

    [Fact]
    public void An_empty_entrypoint_and_no_command_is_no_command_specified()
    {
        var e = Assert.Throws<BadRequestException>(() => Build("""{"Image":"nginx","Entrypoint":[""]}""", Nginx.Value));
        Assert.Equal("no command specified", e.Message);
    }

    [Fact]
    public void No_command_anywhere_is_no_command_specified()
    {
        var bare = TestImages.WithDefaults("""{"Env":["PATH=/bin"]}""");
        var e = Assert.Throws<BadRequestException>(() => Build("""{"Image":"scratchy"}""", bare));
        Assert.Equal("no command specified", e.Message);
    }

    [Fact]
    public void Entrypoint_and_cmd_may_be_given_as_a_single_string()
    {
        Assert.Equal(["/bin/sh", "echo hi"], Argv(Build("""{"Image":"busybox","Entrypoint":"/bin/sh","Cmd":"echo hi"}""")));
    }

    [Fact]
    public void An_empty_cmd_list_falls_back_to_the_images_cmd_as_dockerd_does()
    {
        // dockerd's merge tests len(Cmd) == 0, so "Cmd": [] (sent by some API clients) means "no command given".
        Assert.Equal(["sh"], Argv(Build("""{"Image":"busybox","Cmd":[]}""")));
    }

    // ------------------------------------------------------------ Env, hostname, user, workdir, labels

    [Fact]
    public void Env_is_the_images_overridden_key_by_key()
    {
        var env = Build("""{"Image":"busybox","Env":["LANG=en_US.UTF-8","FOO=bar=baz"]}""").Config.Env;
        Assert.Contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin", env);
        Assert.Contains("LANG=en_US.UTF-8", env);
        Assert.DoesNotContain("LANG=C", env);
        Assert.Contains("FOO=bar=baz", env);
        Assert.Single(env, e => e.StartsWith("LANG=", StringComparison.Ordinal));
    }

    [Fact]
    public void Hostname_defaults_to_the_short_id_and_is_in_the_process_env_not_config_env()
    {
        var r = Build("""{"Image":"busybox"}""");
        Assert.Equal("0123456789ab", r.Config.Hostname);
        Assert.Contains("HOSTNAME=0123456789ab", CreateRequest.ProcessEnv(r.Config));
        Assert.DoesNotContain(r.Config.Env, e => e.StartsWith("HOSTNAME=", StringComparison.Ordinal)); // as docker inspect shows

        var named = Build("""{"Image":"busybox","Hostname":"db1"}""");
        Assert.Equal("db1", named.Config.Hostname);
        Assert.Contains("HOSTNAME=db1", CreateRequest.ProcessEnv(named.Config));
        Assert.DoesNotContain("HOSTNAME=0123456789ab", CreateRequest.ProcessEnv(named.Config));
    }

    [Fact]
    public void A_hostname_in_the_given_env_wins()
    {
        var env = CreateRequest.ProcessEnv(Build("""{"Image":"busybox","Env":["HOSTNAME=mine"]}""").Config);
        Assert.Equal(["HOSTNAME=mine"], env.Where(e => e.StartsWith("HOSTNAME=", StringComparison.Ordinal)));
    }

    [Fact]
    public void Term_is_xterm_with_a_tty_only_and_never_overrides_the_users()
    {
        Assert.Contains("TERM=xterm", CreateRequest.ProcessEnv(Build("""{"Image":"busybox","Tty":true}""").Config));
        Assert.DoesNotContain(CreateRequest.ProcessEnv(Build("""{"Image":"busybox"}""").Config), e => e.StartsWith("TERM=", StringComparison.Ordinal));
        var own = CreateRequest.ProcessEnv(Build("""{"Image":"busybox","Tty":true,"Env":["TERM=dumb"]}""").Config);
        Assert.Equal(["TERM=dumb"], own.Where(e => e.StartsWith("TERM=", StringComparison.Ordinal)));
    }

    [Fact]
    public void User_workdir_and_stop_signal_come_from_the_image_unless_given()
    {
        var r = Build("""{"Image":"busybox"}""");
        Assert.Equal("app", r.Config.User);
        Assert.Equal("/srv", r.Config.WorkingDir);
        Assert.Equal("SIGQUIT", r.Config.StopSignal);

        var given = Build("""{"Image":"busybox","User":"1000:1000","WorkingDir":"/tmp","StopSignal":"SIGINT"}""");
        Assert.Equal("1000:1000", given.Config.User);
        Assert.Equal("/tmp", given.Config.WorkingDir);
        Assert.Equal("SIGINT", given.Config.StopSignal);
    }

    [Fact]
    public void Labels_are_the_images_plus_the_given_ones_which_win()
    {
        var labels = Build("""{"Image":"busybox","Labels":{"tier":"web","owner":"me"}}""").Config.Labels;
        Assert.Equal("ops", labels["maintainer"]);
        Assert.Equal("web", labels["tier"]);
        Assert.Equal("me", labels["owner"]);
    }

    [Fact]
    public void The_record_has_dockers_name_image_id_and_host_config()
    {
        var r = Build("""{"Image":"busybox","HostConfig":{"Memory":33554432,"MemorySwap":-1,"NanoCpus":500000000,"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}}}""");
        Assert.Equal(Id, r.Id);
        Assert.Equal("/web", r.Name);
        Assert.Equal(Shell.Value.Id, r.Image);
        Assert.Equal("busybox", r.Config.Image);
        Assert.Equal(32L << 20, r.HostConfig.Memory);
        Assert.Equal(-1, r.HostConfig.MemorySwap);
        Assert.Equal(500_000_000, r.HostConfig.NanoCpus);
        Assert.False(r.HostConfig.AutoRemove);
        Assert.Equal("on-failure", r.HostConfig.RestartPolicy.Name);
        Assert.Equal(3, r.HostConfig.RestartPolicy.MaximumRetryCount);
        Assert.Equal("default", r.HostConfig.NetworkMode);
    }

    [Fact]
    public void Auto_remove_is_kept_and_conflicts_with_a_restart_policy()
    {
        Assert.True(Build("""{"Image":"busybox","HostConfig":{"AutoRemove":true}}""").HostConfig.AutoRemove);
        var e = Assert.Throws<BadRequestException>(() => Build("""{"Image":"busybox","HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}}"""));
        Assert.Equal("conflicting options: cannot specify both --restart and --rm", e.Message);
    }

    // ------------------------------------------------------------ validation

    [Theory]
    [InlineData("web")]
    [InlineData("a1")]
    [InlineData("my_app.1")]
    [InlineData("Web-2")]
    [InlineData("/web")]
    [InlineData("0day")]
    public void Valid_names_pass(string name) => CreateRequest.ValidateName(name);

    [Theory]
    [InlineData("a")]          // Docker's regex wants two characters at least
    [InlineData("-web")]
    [InlineData("_web")]
    [InlineData(".web")]
    [InlineData("web/1")]
    [InlineData("my web")]
    [InlineData("wéb")]
    [InlineData("")]
    [InlineData("//web")]
    public void Invalid_names_get_dockers_message(string name)
    {
        var e = Assert.Throws<BadRequestException>(() => CreateRequest.ValidateName(name));
        Assert.Equal($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", e.Message);
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public void Memory_below_6MB_is_refused_with_dockers_message()
    {
        var e = Assert.Throws<BadRequestException>(() => Build("""{"Image":"busybox","HostConfig":{"Memory":4194304}}"""));
        Assert.Equal("Minimum memory limit allowed is 6MB", e.Message);
        Assert.Equal(6L << 20, Build("""{"Image":"busybox","HostConfig":{"Memory":6291456}}""").HostConfig.Memory);
    }

    [Fact]
    public void Memory_swap_below_memory_is_refused()
    {
        var e = Assert.Throws<BadRequestException>(() => Build("""{"Image":"busybox","HostConfig":{"Memory":67108864,"MemorySwap":33554432}}"""));
        Assert.Equal("Minimum memoryswap limit should be larger than memory limit, see usage", e.Message);
    }

    [Fact]
    public void Memory_swap_without_memory_is_refused()
    {
        var e = Assert.Throws<BadRequestException>(() => Build("""{"Image":"busybox","HostConfig":{"MemorySwap":67108864}}"""));
        Assert.Equal("You should always set the Memory limit when using Memoryswap limit, see usage", e.Message);
    }

    [Fact]
    public void More_cpus_than_the_host_has_is_refused()
    {
        int n = Environment.ProcessorCount;
        var e = Assert.Throws<BadRequestException>(() =>
            Build($$$"""{"Image":"busybox","HostConfig":{"NanoCpus":{{{(n + 1) * 1_000_000_000L}}}}}"""));
        // Docker's wording (newer releases lower-case its first letter).
        Assert.Equal($"Range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available", e.Message, ignoreCase: true);
        Assert.Equal(n * 1_000_000_000L, Build($$$"""{"Image":"busybox","HostConfig":{"NanoCpus":{{{n * 1_000_000_000L}}}}}""").HostConfig.NanoCpus);
    }

    [Fact]
    public void Nano_cpus_conflict_with_period_and_quota_each_named_as_docker_does()
    {
        var period = Assert.Throws<BadRequestException>(() => Build("""{"Image":"busybox","HostConfig":{"NanoCpus":500000000,"CpuPeriod":100000}}"""));
        Assert.Equal("Conflicting options: Nano CPUs and CPU Period cannot both be set", period.Message);
        var quota = Assert.Throws<BadRequestException>(() => Build("""{"Image":"busybox","HostConfig":{"NanoCpus":500000000,"CpuQuota":50000}}"""));
        Assert.Equal("Conflicting options: Nano CPUs and CPU Quota cannot both be set", quota.Message);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("host")]
    [InlineData("bridge")]
    [InlineData("default")]
    public void The_built_in_networks_are_accepted(string mode)
    {
        Assert.Equal(mode, Build($$$"""{"Image":"busybox","HostConfig":{"NetworkMode":"{{{mode}}}"}}""").HostConfig.NetworkMode);
    }
}
