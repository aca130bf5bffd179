using MiniContainer.Images;
using Xunit;

namespace MiniContainer.UnitTests.Images;

public sealed class ImageConfigChangesTests
{
    private static ContainerDefaults Apply(params string[] lines)
    {
        var config = new ContainerDefaults { Env = ["PATH=/bin", "KEEP=1"] };
        ImageConfigChanges.FromLines(lines).ApplyTo(config);
        return config;
    }

    [Fact]
    public void Cmd_and_entrypoint_take_the_json_form_or_the_shell_form()
    {
        var config = Apply("CMD [\"echo\", \"hi there\"]", "ENTRYPOINT /bin/run --flag");
        Assert.Equal(["echo", "hi there"], config.Cmd);
        Assert.Equal(["/bin/sh", "-c", "/bin/run --flag"], config.Entrypoint);
    }

    [Fact]
    public void Invalid_json_falls_back_to_the_shell_form_as_docker_does()
    {
        Assert.Equal(["/bin/sh", "-c", "[not json"], Apply("CMD [not json").Cmd);
    }

    [Fact]
    public void Instructions_are_case_insensitive()
    {
        Assert.Equal("/srv", Apply("workdir /srv").WorkingDir);
    }

    [Fact]
    public void Env_takes_pairs_with_quotes_or_the_old_form_and_replaces_existing_keys()
    {
        var config = Apply("ENV A=1 B=\"two words\" C='single $quoted' D=esc\\ aped", "ENV PATH /usr/bin:/bin", "ENV A=3");
        Assert.Equal(["KEEP=1", "B=two words", "C=single $quoted", "D=esc aped", "PATH=/usr/bin:/bin", "A=3"], config.Env);
    }

    [Fact]
    public void Label_expose_volume_user_stopsignal()
    {
        var config = Apply(
            "LABEL org.example.name=\"my app\" version=2",
            "EXPOSE 80 53/udp 8000-8002/tcp",
            "VOLUME [\"/data\", \"/logs\"]",
            "VOLUME /cache",
            "USER nobody:nogroup",
            "STOPSIGNAL SIGQUIT");
        Assert.Equal(new Dictionary<string, string> { ["org.example.name"] = "my app", ["version"] = "2" }, config.Labels);
        Assert.Equal(["80/tcp", "53/udp", "8000/tcp", "8001/tcp", "8002/tcp"], config.ExposedPorts!.Keys);
        Assert.Equal(["/data", "/logs", "/cache"], config.Volumes!.Keys);
        Assert.Equal("nobody:nogroup", config.User);
        Assert.Equal("SIGQUIT", config.StopSignal);
    }

    [Fact]
    public void A_relative_workdir_is_relative_to_the_previous_one()
    {
        var config = new ContainerDefaults { WorkingDir = "/app" };
        ImageConfigChanges.FromLines(["WORKDIR src"]).ApplyTo(config);
        Assert.Equal("/app/src", config.WorkingDir);
    }

    [Fact]
    public void Parse_adds_to_an_existing_set()
    {
        var changes = new ImageConfigChanges();
        changes.Parse("CMD [\"a\"]");
        changes.Parse("CMD [\"b\"]");
        Assert.Equal(["b"], changes.Cmd);
    }

    [Theory]
    [InlineData("RUN echo hi", "RUN is not a valid change command")]
    [InlineData("FROM busybox", "FROM is not a valid change command")]
    [InlineData("CMD", "CMD requires at least one argument")]
    [InlineData("ENV =x", "ENV names can not be blank")]
    [InlineData("ENV A=1 B", "Syntax error - can't find = in \"B\". Must be of the form: name=value")]
    [InlineData("EXPOSE 99999", "Invalid containerPort: 99999")]
    [InlineData("EXPOSE 80/icmp", "invalid proto: 80/icmp")]
    [InlineData("STOPSIGNAL kill me", "Invalid signal: kill me")]
    [InlineData("LABEL a=\"unterminated", "unexpected end of statement while looking for matching \"")]
    public void Errors_read_like_dockers(string line, string message)
    {
        var e = Assert.Throws<FormatException>(() => new ImageConfigChanges().Parse(line));
        Assert.Equal(message, e.Message);
    }
}
