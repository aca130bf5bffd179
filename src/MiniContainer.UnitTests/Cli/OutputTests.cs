using System.Text.Json.Nodes;
using MiniContainer.Cli.Output;
using Xunit;

namespace MiniContainer.UnitTests.Cli;

public sealed class HumanUnitsTests
{
    [Theory]
    [InlineData(0.5, "Less than a second")]
    [InlineData(1, "1 second")]
    [InlineData(59, "59 seconds")]
    [InlineData(60, "About a minute")]
    [InlineData(119, "About a minute")]
    [InlineData(120, "2 minutes")]
    [InlineData(59 * 60, "59 minutes")]
    [InlineData(60 * 60, "About an hour")]
    [InlineData(90 * 60, "2 hours")]          // hours round: 1.5 → 2
    [InlineData(47 * 3600, "47 hours")]
    [InlineData(3 * 86400, "3 days")]
    [InlineData(15 * 86400, "2 weeks")]
    [InlineData(90 * 86400, "3 months")]
    [InlineData(800 * 86400, "2 years")]
    public void Durations_read_like_docker(double seconds, string text)
        => Assert.Equal(text, HumanUnits.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Ago_counts_from_now()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_300);
        Assert.Equal("5 minutes ago", HumanUnits.Ago(1_700_000_000, now));
    }

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(500, "500B")]
    [InlineData(1240, "1.24kB")]
    [InlineData(4_261_234, "4.26MB")]
    [InlineData(12_345_678, "12.3MB")]
    [InlineData(123_456_789, "123MB")]
    [InlineData(4_000_000, "4MB")]
    [InlineData(1_500_000_000, "1.5GB")]
    [InlineData(999_999, "1e+03kB")]           // Go's %.3g rounds up into an exponent
    public void Sizes_are_decimal_with_three_digits(double bytes, string text) => Assert.Equal(text, HumanUnits.Size(bytes));

    [Fact]
    public void Binary_sizes_for_info() => Assert.Equal("23.47GiB", HumanUnits.BinarySize(25_200_000_000));
}

public sealed class GoStringsTests
{
    [Fact]
    public void Quotes_like_strconv_Quote()
    {
        Assert.Equal("\"sh -c 'echo hi'\"", GoStrings.Quote("sh -c 'echo hi'"));
        Assert.Equal("\"a\\\"b\\\\c\\n\\t\\x01\"", GoStrings.Quote("a\"b\\c\n\t\u0001"));
        Assert.Equal("\"héllo\"", GoStrings.Quote("héllo"));
    }

    [Fact]
    public void Ellipsis_keeps_the_width()
    {
        Assert.Equal("short", GoStrings.Ellipsis("short", 20));
        Assert.Equal("exactly twenty chars", GoStrings.Ellipsis("exactly twenty chars", 20));
        Assert.Equal("/bin/sh -c 'while t…", GoStrings.Ellipsis("/bin/sh -c 'while true; do sleep 1; done'", 20));
    }

    [Fact]
    public void Short_ids() => Assert.Equal("4a1b2c3d4e5f", GoStrings.ShortId("sha256:4a1b2c3d4e5f60718293a4b5c6d7e8f9"));
}

public sealed class TableWriterTests
{
    [Fact]
    public void Aligns_like_go_tabwriter_with_minwidth_10_and_padding_3()
    {
        var t = new TableWriter();
        t.Write("CONTAINER ID\tIMAGE\tNAMES\n");
        t.Write("4a1b2c3d4e5f\tbusybox:latest\tweb\n");
        t.Write("0123456789ab\talpine\tdb\n");
        Assert.Equal(
            "CONTAINER ID   IMAGE            NAMES\n" +
            "4a1b2c3d4e5f   busybox:latest   web\n" +
            "0123456789ab   alpine           db\n", t.Render());
    }

    [Fact]
    public void Short_columns_get_the_minimum_width_and_empty_cells_are_padded()
    {
        var t = new TableWriter();
        t.AddRow("A", "", "C");
        t.AddRow("AA", "B", "CC");
        Assert.Equal("A                   C\nAA        B         CC\n", t.Render());
    }

    [Fact]
    public void Width_counts_runes_not_bytes()
    {
        var t = new TableWriter(minWidth: 0, padding: 1);
        t.AddRow("ab…", "x");
        t.AddRow("abcd", "y");
        Assert.Equal("ab…  x\nabcd y\n", t.Render());
    }

    [Fact]
    public void A_line_without_the_column_ends_the_block()
    {
        var t = new TableWriter(minWidth: 0, padding: 1);
        t.AddRow("long-cell", "x");
        t.AddRow("no tabs here");
        t.AddRow("a", "y");
        Assert.Equal("long-cell x\nno tabs here\na y\n", t.Render());
    }
}

public sealed class GoTemplateTests
{
    static readonly JsonNode Container = JsonNode.Parse("""
        {
          "Id": "abc123",
          "Name": "/web",
          "State": { "Status": "exited", "Running": false, "ExitCode": 3, "Pid": 0 },
          "Config": { "Cmd": ["sh", "-c", "exit 3"], "Env": ["A=1", "B=2"], "Labels": { "tier": "front", "a.b": "x" }, "Tty": false, "ExposedPorts": { "80/tcp": {}, "53/udp": {} } },
          "HostConfig": { "Memory": 536870912, "Init": null },
          "Mounts": [ { "Type": "bind", "Source": "/h", "Destination": "/c" } ],
          "Empty": []
        }
        """)!;

    static string Run(string template) => GoTemplate.Parse(template).Execute(Container);

    [Theory]
    [InlineData("{{.State.ExitCode}}", "3")]
    [InlineData("{{.Name}}", "/web")]
    [InlineData("exit={{.State.ExitCode}} running={{.State.Running}}!", "exit=3 running=false!")]
    [InlineData("{{.HostConfig.Memory}}", "536870912")]
    [InlineData("{{.Config.Cmd}}", "[sh -c exit 3]")]
    [InlineData("{{.Config.Labels}}", "map[a.b:x tier:front]")]
    [InlineData("{{.Config.ExposedPorts}}", "map[53/udp:{} 80/tcp:{}]")]
    [InlineData("{{.HostConfig.Init}}", "<nil>")]
    [InlineData("{{.Nope}}", "<no value>")]
    [InlineData("{{.ID}}", "abc123")]          // docker accepts the Go field name and the JSON name
    [InlineData("{{json .Mounts}}", "[{\"Type\":\"bind\",\"Source\":\"/h\",\"Destination\":\"/c\"}]")]
    [InlineData("{{json .Empty}}", "[]")]
    [InlineData("{{json .Name}}", "\"/web\"")]
    [InlineData("{{join .Config.Env \",\"}}", "A=1,B=2")]
    [InlineData("{{index .Config.Labels \"tier\"}}", "front")]
    [InlineData("{{len .Config.Cmd}}", "3")]
    [InlineData("{{.State.Status | upper}}", "EXITED")]
    [InlineData("{{range .Config.Env}}[{{.}}]{{end}}", "[A=1][B=2]")]
    [InlineData("{{range .Mounts}}{{.Source}}:{{.Destination}}{{end}}", "/h:/c")]
    [InlineData("{{if .State.Running}}up{{else}}down{{end}}", "down")]
    [InlineData("{{if eq .State.Status \"exited\"}}yes{{end}}", "yes")]
    [InlineData("{{with .State}}{{.Pid}}{{end}}", "0")]
    [InlineData("a  {{- .Name -}}  b", "a/webb")]
    [InlineData("{{/* comment */}}x", "x")]
    [InlineData("{{printf \"%s=%d\" .Name .State.ExitCode}}", "/web=3")]
    public void Evaluates_docker_format_strings(string template, string expected) => Assert.Equal(expected, Run(template));

    [Theory]
    [InlineData("{{.Name")]
    [InlineData("{{if .Name}}x")]
    [InlineData("{{nosuchfunc .Name}}")]
    [InlineData("{{end}}")]
    public void Bad_templates_fail_clearly(string template)
        => Assert.Throws<TemplateException>(() => GoTemplate.Parse(template).Execute(Container));

    [Fact]
    public void Field_of_a_string_is_an_error()
        => Assert.Contains("can't evaluate field X in type string", Assert.Throws<TemplateException>(() => Run("{{.Name.X}}")).Message);
}

public sealed class JsonIndentTests
{
    [Fact]
    public void Indents_like_go_json_Indent()
    {
        string raw = """[{"Id":"a","Args":[],"Config":{},"Env":["A=<b>&c","x\"y"],"N":1.5e3,"T":true,"Z":null}]""";
        Assert.Equal("""
            [
                {
                    "Id": "a",
                    "Args": [],
                    "Config": {},
                    "Env": [
                        "A=<b>&c",
                        "x\"y"
                    ],
                    "N": 1.5e3,
                    "T": true,
                    "Z": null
                }
            ]
            """.ReplaceLineEndings("\n"), JsonIndent.Indent(raw));
    }

    [Fact]
    public void Empty_array() => Assert.Equal("[]", JsonIndent.Indent("[ ]"));
}

public sealed class ListFormatTests
{
    static readonly JsonObject Running = JsonNode.Parse("""
        {"Id":"4a1b2c3d4e5f60718293","Names":["/web"],"Image":"busybox","Command":"sh -c 'while true; do sleep 1; done'",
         "Created":1700000000,"State":"running","Status":"Up 3 seconds",
         "Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},{"PrivatePort":443,"Type":"tcp"}]}
        """)!.AsObject();

    static readonly JsonObject Exited = JsonNode.Parse("""
        {"Id":"0123456789abcdef","Names":["/db"],"Image":"sha256:feedfacecafebeef0000","Command":"true",
         "Created":1699999880,"State":"exited","Status":"Exited (0) 5 seconds ago","Ports":[]}
        """)!.AsObject();

    static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_120);

    [Fact]
    public void Ps_default_table()
    {
        var rows = new[] { Running, Exited }.Select(c => ContainerRows.Row(c, truncate: true, Now));
        string output = ListFormat.Render(ContainerRows.DefaultFormat, rows, ContainerRows.Headers);
        Assert.Equal(
            "CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS                     PORTS                           NAMES\n" +
            "4a1b2c3d4e5f   busybox        \"sh -c 'while true; \u2026\"   2 minutes ago   Up 3 seconds               443/tcp, 0.0.0.0:8080->80/tcp   web\n" +
            "0123456789ab   feedfacecafe   \"true\"                   4 minutes ago   Exited (0) 5 seconds ago                                   db\n",
            output);
    }

    [Fact]
    public void Ps_empty_prints_the_header()
        => Assert.Equal("CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n",
            ListFormat.Render(ContainerRows.DefaultFormat, [], ContainerRows.Headers));

    [Fact]
    public void No_trunc_and_custom_formats()
    {
        var row = ContainerRows.Row(Running, truncate: false, Now);
        Assert.Equal("4a1b2c3d4e5f60718293 web\n", ListFormat.Render("{{.ID}} {{.Names}}", [row], ContainerRows.Headers));
        Assert.Equal("NAMES     STATUS\nweb       Up 3 seconds\n", ListFormat.Render("table {{.Names}}\\t{{.Status}}", [row], ContainerRows.Headers));
        Assert.StartsWith("{\"ID\":\"4a1b2c3d4e5f60718293\"", ListFormat.Render("json", [row], ContainerRows.Headers));
        Assert.Equal("\"sh -c 'while true; do sleep 1; done'\"\n", ListFormat.Render("{{.Command}}", [row], ContainerRows.Headers));
    }

    [Fact]
    public void Images_rows_one_per_tag()
    {
        var image = JsonNode.Parse("""
            {"Id":"sha256:aabbccddeeff00112233","RepoTags":["busybox:latest","busybox:1.36"],"Created":1699990000,"Size":4261234}
            """)!.AsObject();
        var untagged = JsonNode.Parse("""{"Id":"sha256:112233445566778899","RepoTags":[],"Created":1699990000,"Size":500}""")!.AsObject();
        var rows = new[] { image, untagged }.SelectMany(i => ImageRows.Rows(i, truncate: true, Now));
        Assert.Equal(
            "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n" +
            "busybox      latest    aabbccddeeff   3 hours ago   4.26MB\n" +
            "busybox      1.36      aabbccddeeff   3 hours ago   4.26MB\n" +
            "<none>       <none>    112233445566   3 hours ago   500B\n",
            ListFormat.Render(ImageRows.DefaultFormat, rows, ImageRows.Headers));
    }

    [Fact]
    public void Images_digests_belong_to_the_rows_repository_and_a_digest_only_repository_gets_a_none_tag_row()
    {
        // busybox pulled from two registries' repositories, then untagged in one of them: as dockerd lists it.
        var image = JsonNode.Parse("""
            {"Id":"sha256:aabbccddeeff00112233","Created":1699990000,"Size":4261234,
             "RepoTags":["busybox:latest","reg:5000/a/bb:1"],
             "RepoDigests":["reg:5000/a/bb@sha256:1111","reg:5000/b/bb@sha256:2222"]}
            """)!.AsObject();
        const string format = "{{.Repository}} {{.Tag}} {{.Digest}}";
        Assert.Equal(
            "busybox latest <none>\nreg:5000/a/bb 1 sha256:1111\nreg:5000/b/bb <none> sha256:2222\n",
            ListFormat.Render(format, ImageRows.Rows(image, truncate: true, Now, digests: true), ImageRows.Headers));
        Assert.Equal(
            "busybox latest <none>\nreg:5000/a/bb 1 <none>\nreg:5000/b/bb <none> \n",
            ListFormat.Render(format, ImageRows.Rows(image, truncate: true, Now, digests: false), ImageRows.Headers));
    }
}
