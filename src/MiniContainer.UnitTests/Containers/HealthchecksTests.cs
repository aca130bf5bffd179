using System.Text.Json.Nodes;
using MiniContainer.Api;
using MiniContainer.Containers;
using MiniContainer.Images;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>Where a container's healthcheck comes from: the request (dockerd's checks), the image, dockerd's merge.</summary>
public sealed class HealthchecksTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const long Ms = 1_000_000, S = 1000 * Ms;

    private static readonly Lazy<Image> WithHealthcheck = new(() => TestImages.WithDefaults(
        """{"Cmd":["sh"],"Healthcheck":{"Test":["CMD-SHELL","wget -q localhost"],"Interval":5000000000,"Retries":4},"Shell":["/bin/ash","-eo","pipefail","-c"]}"""));

    private static readonly Lazy<Image> Plain = new(() => TestImages.WithDefaults("""{"Cmd":["sh"]}"""));

    private static ContainerRecord Create(string body, Image image) =>
        CreateRequest.Build(Id, "web", (JsonObject)JsonNode.Parse(body)!, image);

    [Fact]
    public void The_images_healthcheck_and_shell_are_the_containers_when_the_request_has_none()
    {
        var r = Create("""{"Image":"x"}""", WithHealthcheck.Value);
        Assert.Equal(["CMD-SHELL", "wget -q localhost"], r.Config.Healthcheck!.Test);
        Assert.Equal(5 * S, r.Config.Healthcheck.Interval);
        Assert.Equal(4, r.Config.Healthcheck.Retries);
        Assert.Equal(["/bin/ash", "-eo", "pipefail", "-c", "wget -q localhost"], Healthchecks.ProbeCommand(r.Config.Healthcheck, r.Config.Shell));
    }

    [Fact]
    public void The_request_overrides_the_image_field_by_field()
    {
        var r = Create("""{"Image":"x","Healthcheck":{"Interval":200000000,"Timeout":1000000000}}""", WithHealthcheck.Value);
        var h = r.Config.Healthcheck!;
        Assert.Equal(["CMD-SHELL", "wget -q localhost"], h.Test);   // an empty Test inherits the image's
        Assert.Equal(200 * Ms, h.Interval);
        Assert.Equal(1 * S, h.Timeout);
        Assert.Equal(4, h.Retries);                                  // unset: the image's

        r = Create("""{"Image":"x","Healthcheck":{"Test":["CMD","true"],"Retries":1}}""", WithHealthcheck.Value);
        Assert.Equal(["CMD", "true"], r.Config.Healthcheck!.Test);
        Assert.Equal(1, r.Config.Healthcheck.Retries);
        Assert.Equal(5 * S, r.Config.Healthcheck.Interval);
        Assert.Equal(["true"], Healthchecks.ProbeCommand(r.Config.Healthcheck, r.Config.Shell));
    }

    [Fact]
    public void NONE_disables_the_images_healthcheck_and_no_healthcheck_means_null()
    {
        var none = Create("""{"Image":"x","Healthcheck":{"Test":["NONE"]}}""", WithHealthcheck.Value).Config.Healthcheck;
        Assert.Equal(["NONE"], none!.Test);
        Assert.False(Healthchecks.HasProbe(none));
        Assert.Null(Create("""{"Image":"x","Healthcheck":null}""", Plain.Value).Config.Healthcheck);
        // Timings without a command (and no image healthcheck) have nothing to run.
        Assert.False(Healthchecks.HasProbe(Create("""{"Image":"x","Healthcheck":{"Interval":1000000000}}""", Plain.Value).Config.Healthcheck));
        Assert.Equal(["/bin/sh", "-c", "test -f /tmp/ok"],
            Healthchecks.ProbeCommand(Create("""{"Image":"x","Healthcheck":{"Test":["CMD-SHELL","test -f /tmp/ok"]}}""", Plain.Value).Config.Healthcheck!, null));
    }

    [Theory]
    [InlineData("""{"Interval":-1}""", "Interval in Healthcheck cannot be less than 1ms")]
    [InlineData("""{"Interval":999999}""", "Interval in Healthcheck cannot be less than 1ms")]
    [InlineData("""{"Timeout":5}""", "Timeout in Healthcheck cannot be less than 1ms")]
    [InlineData("""{"StartPeriod":-1000000000}""", "StartPeriod in Healthcheck cannot be less than 1ms")]
    [InlineData("""{"StartInterval":10}""", "StartInterval in Healthcheck cannot be less than 1ms")]
    [InlineData("""{"Retries":-1}""", "Retries in Healthcheck cannot be negative")]
    [InlineData("""{"Test":["HTTP","/health"]}""", "unknown Healthcheck type \"HTTP\"")]
    [InlineData("""{"Test":["CMD"]}""", "Healthcheck CMD needs a command")]
    public void Bad_values_are_dockerds_400s(string healthcheck, string message)
    {
        var e = Assert.Throws<BadRequestException>(() => Create($$"""{"Image":"x","Healthcheck":{{healthcheck}}}""", Plain.Value));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void One_millisecond_is_the_least_accepted()
    {
        var h = Create("""{"Image":"x","Healthcheck":{"Test":["CMD","true"],"Interval":1000000,"Timeout":1000000,"StartPeriod":1000000,"StartInterval":1000000}}""", Plain.Value).Config.Healthcheck!;
        Assert.Equal(Ms, h.Interval);
    }

    [Fact]
    public void Inspect_shows_dockers_shapes_omitting_what_is_unset()
    {
        var r = Create("""{"Image":"x","Healthcheck":{"Test":["CMD","true"],"Interval":200000000}}""", Plain.Value);
        var json = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(r, DaemonJson.Default.ContainerRecord))!;
        Assert.Equal("""{"Test":["CMD","true"],"Interval":200000000}""", json["Config"]!["Healthcheck"]!.ToJsonString());
        Assert.Null(json["State"]!.AsObject()["Health"]);         // omitted until the container runs
        Assert.False(json["Config"]!.AsObject().ContainsKey("Shell"));
        var none = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Create("""{"Image":"x"}""", Plain.Value), DaemonJson.Default.ContainerRecord))!;
        Assert.False(none["Config"]!.AsObject().ContainsKey("Healthcheck"));
    }
}
