using MiniContainer.Cli.Compose;
using Xunit;

namespace MiniContainer.UnitTests.Cli.Compose;

/// <summary>Every error a compose file can get names the file, the line and the key.</summary>
public sealed class ComposeErrorTests
{
    static string Error(string yaml, IReadOnlyDictionary<string, string>? env = null)
    {
        using var files = new ComposeTestFiles().With("compose.yaml", yaml);
        return files.Error(env: env);
    }

    [Theory]
    [InlineData("services:\n  web:\n    image: busybox\n    privileged: true\n",
        "compose.yaml:4: services.web.privileged: key \"privileged\" is not supported by minicontainer compose (not part of the compose format, or not honoured by this CLI)")]
    [InlineData("services:\n  web:\n    image: busybox\nsecrets: {}\n",
        "compose.yaml:4: secrets: key \"secrets\" is not supported by minicontainer compose (not part of the compose format, or not honoured by this CLI)")]
    [InlineData("services:\n  web:\n    image: busybox\n    deploy:\n      replicas: 2\n",
        "compose.yaml:5: services.web.deploy.replicas: key \"replicas\" is not supported by minicontainer compose (not part of the compose format, or not honoured by this CLI)")]
    [InlineData("services:\n  web:\n    image: busybox\n    networks:\n      front:\n        priority: 3\nnetworks:\n  front: {}\n",
        "compose.yaml:6: services.web.networks.front.priority: key \"priority\" is not supported by minicontainer compose (not part of the compose format, or not honoured by this CLI)")]
    [InlineData("services:\n  web:\n    image: busybox\n    restart: sometimes\n",
        "compose.yaml:4: services.web.restart: invalid restart policy \"sometimes\": use one of no, always, on-failure[:max-retries], unless-stopped")]
    [InlineData("services:\n  web:\n    image: busybox\n    ports:\n      - \"80:abc\"\n",
        "compose.yaml:5: services.web.ports: invalid port \"80:abc\": invalid containerPort: abc")]
    [InlineData("services:\n  web:\n    image: busybox\n    volumes:\n      - data:/data:z\nvolumes:\n  data:\n",
        "compose.yaml:5: services.web.volumes: invalid volume \"data:/data:z\": unsupported mode \"z\" (ro or rw)")]
    [InlineData("services:\n  web:\n    image: busybox\n    volumes:\n      - data:relative\n",
        "compose.yaml:5: services.web.volumes: invalid volume \"data:relative\": the container path must be absolute")]
    [InlineData("services:\n  web:\n    command: x\n",
        "compose.yaml:3: services.web: service \"web\" has neither an image nor a build context specified: invalid compose project")]
    [InlineData("services:\n  web:\n    image: busybox\n    depends_on: [db]\n",
        "compose.yaml:2: services.web.depends_on: service \"web\" depends on undefined service \"db\"")]
    [InlineData("services:\n  web:\n    image: busybox\n    networks: [back]\n",
        "compose.yaml:2: services.web.networks: service \"web\" refers to undefined network back: invalid compose project")]
    [InlineData("services:\n  web:\n    image: busybox\n    volumes: [\"data:/data\"]\n",
        "compose.yaml:2: services.web.volumes: service \"web\" refers to undefined volume data: invalid compose project")]
    [InlineData("services:\n  web:\n    image: busybox\n    stop_grace_period: soon\n",
        "compose.yaml:4: services.web.stop_grace_period: invalid duration \"soon\" (e.g. 10s, 1m30s, 500ms)")]
    [InlineData("services:\n  web:\n    image: busybox\n    init: maybe\n",
        "compose.yaml:4: services.web.init: \"maybe\" is not a boolean (true or false)")]
    [InlineData("services:\n  web:\n    image: busybox\n    mem_limit: lots\n",
        "compose.yaml:4: services.web.mem_limit: invalid size: 'lots'")]
    [InlineData("services:\n  web:\n    image: busybox\n    cpus: -1\n",
        "compose.yaml:4: services.web.cpus: invalid cpus \"-1\": a positive number")]
    [InlineData("services:\n  web:\n    image: busybox\n    expose: [\"http\"]\n",
        "compose.yaml:4: services.web.expose: invalid expose \"http\": a port, optionally /tcp, /udp or /sctp")]
    [InlineData("services:\n  web:\n    image: busybox\n    healthcheck:\n      test: [\"true\"]\n",
        "compose.yaml:5: services.web.healthcheck.test: a test list must start with NONE, CMD or CMD-SHELL")]
    [InlineData("services:\n  web:\n    image: busybox\n    depends_on:\n      db: {condition: service_ready}\n  db:\n    image: busybox\n",
        "compose.yaml:5: services.web.depends_on.db.condition: invalid condition \"service_ready\": use service_started, service_healthy or service_completed_successfully")]
    [InlineData("services:\n  web:\n    image: busybox\n    env_file: missing.env\n",
        "compose.yaml:4: services.web.env_file: env file /")]
    [InlineData("services:\n  \"we b\":\n    image: busybox\n",
        "compose.yaml:2: services: invalid service name \"we b\": only [a-zA-Z0-9._-] are allowed")]
    [InlineData("services:\n  web:\n    image: busybox\nnetworks:\n  front:\n    external: true\n    driver: bridge\n",
        "compose.yaml:6: networks.front: conflicting parameters \"external\" and \"driver\" specified for network \"front\"")]
    [InlineData("services:\n  web:\n    image: busybox\nnetworks:\n  front:\n    driver: overlay\n",
        "compose.yaml:6: networks.front.driver: unsupported network driver \"overlay\": only bridge")]
    [InlineData("services:\n  web:\n    image: busybox\nvolumes:\n  data:\n    driver: nfs\n",
        "compose.yaml:6: volumes.data.driver: unsupported volume driver \"nfs\": only local")]
    [InlineData("services:\n  web:\n    image: ${IMAGE:?set IMAGE to the image to run}\n",
        "compose.yaml:3: services.web.image: required variable IMAGE is missing a value: set IMAGE to the image to run")]
    [InlineData("services:\n  web:\n    image: busybox\n    environment: [\"A=$\"]\n    ports: [\"8080\"]\n    command: [\"x\", \"a ${B\"]\n",
        "compose.yaml:6: services.web.command[1]: invalid interpolation format for \"a ${B\": missing closing brace")]
    [InlineData("services:\n  web:\n    image: busybox\n   ports: []\n",
        "compose.yaml:4: yaml:")]
    [InlineData("- just\n- a list\n",
        "compose.yaml:1: (root): a compose file must be a mapping of top-level keys")]
    [InlineData("version: '3'\n",
        "compose.yaml: no service selected: the file has no services")]
    [InlineData("services:\n  web:\n    image: busybox\n    ports: \"8080\"\n",
        "compose.yaml:4: services.web.ports: must be a list")]
    [InlineData("services:\n  web:\n    image: [busybox]\n",
        "compose.yaml:3: services.web.image: must be a string")]
    [InlineData("services:\n  web:\n    image: busybox\n    environment: [\"$X\"]\n",
        "compose.yaml:4: services.web.environment: keys must be non-empty strings")]
    public void Names_the_file_line_and_key(string yaml, string expected)
        => Assert.StartsWith(expected, Error(yaml));

    [Fact]
    public void Names_the_file_an_error_came_from_when_several_are_merged()
    {
        using var files = new ComposeTestFiles()
            .With("compose.yaml", "services:\n  web:\n    image: busybox\n")
            .With("override.yaml", "services:\n  web:\n    image: busybox\n\n    links: [db]\n");
        Assert.StartsWith("override.yaml:5: services.web.links: key \"links\"", files.Error(["compose.yaml", "override.yaml"]));
    }

    [Fact]
    public void An_environment_list_item_error_points_at_its_line()
    {
        Assert.StartsWith("compose.yaml:5: services.web.environment",
            Error("services:\n  web:\n    image: busybox\n    environment:\n      - [nested]\n"));
    }

    [Fact]
    public void A_missing_file_and_no_file_are_reported()
    {
        using var files = new ComposeTestFiles();
        Assert.Equal("no configuration file provided: not found", files.Error());
        Assert.Equal($"open {Path.Combine(files.Dir, "nope.yaml")}: no such file or directory", files.Error(["nope.yaml"]));
    }
}
