using System.CommandLine;
using System.Text.Json.Nodes;
using MiniContainer.Cli;
using MiniContainer.Cli.Commands;
using MiniContainer.Cli.Flags;
using MiniContainer.Cli.Output;
using MiniContainer.Cli.Terminal;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

/// <summary>--mount: docker's CSV of key=value fields into the Engine API's Mount objects.</summary>
public sealed class MountSpecTests
{
    static string Json(string spec) => MountSpec.Parse(spec, p => "/cwd/" + p.TrimStart('.', '/')).ToJsonString();

    [Theory]
    [InlineData("type=bind,source=/host,target=/data", """{"Type":"bind","Source":"/host","Target":"/data"}""")]
    [InlineData("type=bind,src=/host,dst=/data,readonly", """{"Type":"bind","Source":"/host","Target":"/data","ReadOnly":true}""")]
    [InlineData("type=bind,src=/host,destination=/data,ro=true", """{"Type":"bind","Source":"/host","Target":"/data","ReadOnly":true}""")]
    [InlineData("type=bind,src=/host,target=/data,ro=false", """{"Type":"bind","Source":"/host","Target":"/data"}""")]
    [InlineData("src=data,target=/data", """{"Type":"volume","Source":"data","Target":"/data"}""")]
    [InlineData("target=/anon", """{"Type":"volume","Target":"/anon"}""")]
    [InlineData("type=volume,src=data,dst=/data,volume-nocopy", """{"Type":"volume","Source":"data","Target":"/data","VolumeOptions":{"NoCopy":true}}""")]
    [InlineData("type=volume,src=data,dst=/data,volume-nocopy=true,volume-label=a=b", """{"Type":"volume","Source":"data","Target":"/data","VolumeOptions":{"NoCopy":true,"Labels":{"a":"b"}}}""")]
    [InlineData("type=tmpfs,dst=/run,tmpfs-size=64m,tmpfs-mode=1770", """{"Type":"tmpfs","Target":"/run","TmpfsOptions":{"SizeBytes":67108864,"Mode":1016}}""")]
    [InlineData("TYPE=Bind,Source=/h,Target=/c", """{"Type":"bind","Source":"/h","Target":"/c"}""")]
    [InlineData("type=bind,\"source=/a,b\",target=/c", """{"Type":"bind","Source":"/a,b","Target":"/c"}""")]
    [InlineData("type=bind,source=./dir,target=/c", """{"Type":"bind","Source":"/cwd/dir","Target":"/c"}""")]
    [InlineData("type=bind,source=/h,target=/c,bind-propagation=rshared", """{"Type":"bind","Source":"/h","Target":"/c","BindOptions":{"Propagation":"rshared"}}""")]
    public void Parses_like_docker(string spec, string json) => Assert.Equal(json, Json(spec));

    [Theory]
    [InlineData("type=foo,target=/x", "invalid mount type \"foo\"")]
    [InlineData("type=bind,source=/x", "target is required")]
    [InlineData("type=bind,source=/x,target=/y,bogus", "invalid field 'bogus' must be a key=value pair")]
    [InlineData("type=bind,source=/x,target=/y,colour=red", "unexpected key 'colour' in 'colour=red'")]
    [InlineData("type=bind,source=/x,target=/y,readonly=maybe", "invalid value for readonly: maybe")]
    [InlineData("type=bind,source=/x,target=/y,volume-nocopy", "cannot mix 'volume-*' options with mount type 'bind'")]
    [InlineData("type=volume,target=/y,tmpfs-size=1m", "cannot mix 'tmpfs-*' options with mount type 'volume'")]
    [InlineData("type=tmpfs,target=/y,tmpfs-size=lots", "invalid value for tmpfs-size: lots")]
    [InlineData("type=tmpfs,target=/y,tmpfs-mode=999", "invalid value for tmpfs-mode: 999")]
    [InlineData("type=bind,source=a\"b,target=/y", "parse error on line 1, column 19: bare \" in non-quoted-field")]
    [InlineData("", "EOF")]
    public void Rejects_with_docker_s_words(string spec, string message)
        => Assert.Equal(message, Assert.Throws<FormatException>(() => MountSpec.Parse(spec)).Message);
}

/// <summary>--mount, --tmpfs, --volumes-from and -v in the create body.</summary>
public sealed class MountFlagsTests
{
    static JsonObject HostConfig(params string[] args)
    {
        var flags = new ContainerFlags();
        var root = new RootCommand();
        root.Options.Clear();   // as CliApp does: the default help option's "/h" alias would eat "/h:/c"
        var run = new CliCommand("run", "", "") { ForeignArgumentsAfter = 1 };
        flags.AddTo(run);
        var image = new Argument<string?>("IMAGE") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.ZeroOrMore };
        run.Arguments.Add(image);
        run.Arguments.Add(command);
        root.Subcommands.Add(run);
        var parse = root.Parse(ArgumentPreparer.Prepare(root, ["run", .. args, "busybox"]));
        Assert.Empty(parse.Errors);
        return flags.BuildConfig(parse, "busybox", [], detached: true, _ => null, null)["HostConfig"]!.AsObject();
    }

    [Fact]
    public void Mounts_are_an_array_of_mount_objects()
    {
        var host = HostConfig("--mount", "type=bind,src=/h,dst=/c,ro", "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m");
        Assert.Equal("""[{"Type":"bind","Source":"/h","Target":"/c","ReadOnly":true},{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576}}]""",
            host["Mounts"]!.ToJsonString());
        Assert.Null(host["Binds"]);
        Assert.Null(host["Tmpfs"]);
    }

    [Fact]
    public void Tmpfs_is_a_map_of_path_to_options()
        => Assert.Equal("""{"/run":"rw,size=64m","/tmp":""}""", HostConfig("--tmpfs", "/run:rw,size=64m", "--tmpfs", "/tmp")["Tmpfs"]!.ToJsonString());

    [Fact]
    public void Volumes_from_are_sent_as_typed()
        => Assert.Equal("""["web:ro","db"]""", HostConfig("--volumes-from", "web:ro", "--volumes-from", "db")["VolumesFrom"]!.ToJsonString());

    [Fact]
    public void Named_volumes_stay_binds()
        => Assert.Equal("""["data:/data","/h:/c:ro"]""", HostConfig("-v", "data:/data", "-v", "/h:/c:ro")["Binds"]!.ToJsonString());

    [Fact]
    public void A_source_starting_with_a_dot_is_a_host_path_relative_to_the_working_directory()
    {
        string cwd = Directory.GetCurrentDirectory();
        Assert.Equal($"[\"{cwd}/my.cnf:/etc/my.cnf:ro\",\"{Path.GetDirectoryName(cwd)}/data:/data\"]",
            HostConfig("-v", "./my.cnf:/etc/my.cnf:ro", "-v", "../data:/data")["Binds"]!.ToJsonString());
    }

    [Fact]
    public void Bad_mounts_name_the_flag()
    {
        Assert.Equal("invalid argument \"type=foo,target=/x\" for \"--mount\" flag: invalid mount type \"foo\"",
            Assert.Throws<UsageException>(() => HostConfig("--mount", "type=foo,target=/x")).Message);
        Assert.Equal("invalid argument \"type=bind,src=/x\" for \"--mount\" flag: target is required",
            Assert.Throws<UsageException>(() => HostConfig("--mount", "type=bind,src=/x")).Message);
    }
}

/// <summary>`volume ls`, `volume prune` and `volume inspect` output.</summary>
public sealed class VolumeOutputTests
{
    static readonly JsonNode List = JsonNode.Parse("""
        {"Volumes":[
          {"Name":"vol10","Driver":"local","Mountpoint":"/var/lib/minicontainer/volumes/vol10/_data","Labels":{"env":"prod"},"Scope":"local","CreatedAt":"2024-05-01T12:00:00Z","Options":{}},
          {"Name":"3f1b2c","Driver":"local","Mountpoint":"/var/lib/minicontainer/volumes/3f1b2c/_data","Labels":null,"Scope":"local","CreatedAt":"2024-05-01T12:00:00Z","Options":null},
          {"Name":"vol2","Driver":"local","Mountpoint":"/var/lib/minicontainer/volumes/vol2/_data","Labels":{},"Scope":"local","CreatedAt":"2024-05-01T12:00:00Z","Options":{}}
        ],"Warnings":[]}
        """);

    [Fact]
    public void Ls_default_table_in_natural_order()
        => Assert.Equal(
            "DRIVER    VOLUME NAME\n" +
            "local     3f1b2c\n" +
            "local     vol2\n" +
            "local     vol10\n",
            ListFormat.Render(VolumeRows.DefaultFormat, VolumeRows.Rows(List), VolumeRows.Headers));

    [Fact]
    public void Ls_empty_prints_the_header()
        => Assert.Equal("DRIVER    VOLUME NAME\n",
            ListFormat.Render(VolumeRows.DefaultFormat, VolumeRows.Rows(JsonNode.Parse("""{"Volumes":null,"Warnings":null}""")), VolumeRows.Headers));

    [Fact]
    public void Ls_quiet_and_custom_formats()
    {
        Assert.Equal("3f1b2c\nvol2\nvol10\n", ListFormat.Render(VolumeRows.QuietFormat, VolumeRows.Rows(List), VolumeRows.Headers));
        Assert.Equal("vol10 env=prod N/A\n", ListFormat.Render("{{.Name}} {{.Labels}} {{.Links}}", VolumeRows.Rows(List).Skip(2), VolumeRows.Headers));
        Assert.Equal("VOLUME NAME   SCOPE     MOUNTPOINT\nvol2          local     /var/lib/minicontainer/volumes/vol2/_data\n",
            ListFormat.Render("table {{.Name}}\\t{{.Scope}}\\t{{.Mountpoint}}", VolumeRows.Rows(List).Skip(1).Take(1), VolumeRows.Headers));
    }

    [Theory]
    [InlineData("a", "b", -1)]
    [InlineData("vol2", "vol10", -1)]
    [InlineData("vol10", "vol2", 1)]
    [InlineData("1x", "x", -1)]
    [InlineData("v01", "v1", 1)]
    [InlineData("v1", "v1a", -1)]
    [InlineData("same", "same", 0)]
    public void Natural_order_like_sortorder(string a, string b, int sign) => Assert.Equal(sign, Math.Sign(VolumeRows.NaturalCompare(a, b)));

    [Fact]
    public void Prune_report()
    {
        Assert.Equal("Deleted Volumes:\nfoo\nbar\n\nTotal reclaimed space: 2kB\n",
            PruneReports.Alone(PruneReports.Volumes(JsonNode.Parse("""{"VolumesDeleted":["foo","bar"],"SpaceReclaimed":2000}"""))));
        Assert.Equal("Total reclaimed space: 0B\n", PruneReports.Alone(PruneReports.Volumes(JsonNode.Parse("""{"VolumesDeleted":null,"SpaceReclaimed":0}"""))));
    }

    [Fact]
    public void Inspect_is_an_indented_array()
    {
        string raw = """{"Name":"data","Driver":"local","Labels":{},"Scope":"local"}""";
        Assert.Equal("[\n    {\n        \"Name\": \"data\",\n        \"Driver\": \"local\",\n        \"Labels\": {},\n        \"Scope\": \"local\"\n    }\n]\n",
            ContainerCommands.FormatInspected([raw], null));
        Assert.Equal("data local\n", ContainerCommands.FormatInspected([raw], ContainerCommands.InspectTemplate("{{.Name}} {{.Driver}}")));
        Assert.Equal("[]\n", ContainerCommands.FormatInspected([], null));
    }

    [Fact]
    public void Driver_opts_and_labels()
    {
        Assert.Equal("""{"type":"tmpfs","o":"size=1m,uid=1000","nodev":""}""", VolumeCommands.DriverOpts(["type=tmpfs", "o=size=1m,uid=1000", "nodev"]).ToJsonString());
    }

    [Theory]
    [InlineData("y\n", true)]
    [InlineData(" Y \n", true)]
    [InlineData("yes\n", false)]
    [InlineData("n\n", false)]
    [InlineData("", false)]
    public void Prune_asks_first(string input, bool yes)
    {
        var (oldIn, oldOut) = (Stdio.In, Stdio.Out);
        var output = new StringWriter();
        try
        {
            Stdio.In = new StringReader(input);
            Stdio.Out = output;
            Assert.Equal(yes, VolumeCommands.Confirm(VolumeCommands.PruneWarning));
        }
        finally
        {
            Stdio.In = oldIn;
            Stdio.Out = oldOut;
        }
        Assert.Equal("WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ", output.ToString());
    }
}

/// <summary>The volume group on the command line.</summary>
public sealed class VolumeCommandLineTests
{
    static ParseResult ParseCli(params string[] args)
    {
        var root = CliApp.BuildRoot(new CliContext());
        var parse = root.Parse(ArgumentPreparer.Prepare(root, args), new ParserConfiguration { ResponseFileTokenReplacer = null });
        Assert.Empty(parse.Errors);
        return parse;
    }

    [Fact]
    public void Subcommands_and_their_flags()
    {
        var create = ParseCli("volume", "create", "--label", "a=b", "-d", "local", "-o", "type=tmpfs", "data");
        Assert.Equal("create", create.CommandResult.Command.Name);
        Assert.Equal(["data"], create.GetValue<string[]>("VOLUME")!);
        Assert.Equal(["type=tmpfs"], create.GetValue<string[]>("--opt")!);

        var ls = ParseCli("volume", "ls", "-q", "-f", "dangling=true");
        Assert.True(ls.GetValue<bool>("--quiet"));
        Assert.Equal(["dangling=true"], ls.GetValue<string[]>("--filter")!);

        var rm = ParseCli("volume", "rm", "-f", "a", "b");
        Assert.True(rm.GetValue<bool>("--force"));
        Assert.Equal(["a", "b"], rm.GetValue<string[]>("VOLUME")!);

        Assert.True(ParseCli("volume", "prune", "-f").GetValue<bool>("--force"));
        Assert.Equal("{{.Name}}", ParseCli("volume", "inspect", "-f", "{{.Name}}", "x").GetValue<string?>("--format"));
    }

    [Fact]
    public void Run_takes_mount_flags_and_host_paths()
    {
        var run = ParseCli("run", "-v", "/h:/c:ro", "--mount", "type=tmpfs,dst=/t", "--tmpfs", "/run:size=1m", "--volumes-from", "db:ro", "busybox");
        Assert.Equal(["/h:/c:ro"], run.GetValue<string[]>("--volume")!);
        Assert.Equal(["/run:size=1m"], run.GetValue<string[]>("--tmpfs")!);
        Assert.Equal(["db:ro"], run.GetValue<string[]>("--volumes-from")!);
        Assert.Equal("busybox", run.GetValue<string?>("IMAGE"));
    }

    [Fact]
    public void Messages_name_the_group()
    {
        var root = CliApp.BuildRoot(new CliContext());
        var rm = (CliCommand)root.Subcommands.Single(c => c.Name == "volume").Subcommands.Single(c => c.Name == "rm");
        Assert.Equal("minicontainer volume rm [OPTIONS] VOLUME [VOLUME...]", rm.Usage);
        Assert.Equal("\"minicontainer volume rm\" requires at least 1 argument.", rm.RequiresAtLeast(1).Message);
    }

    [Fact]
    public void Unknown_flags_of_a_subcommand()
    {
        var root = CliApp.BuildRoot(new CliContext());
        Assert.Equal("unknown flag: --bogus", Assert.Throws<UsageException>(() => ArgumentPreparer.Prepare(root, ["volume", "ls", "--bogus"])).Message);
    }
}
