using MiniContainer.Images;
using Xunit;

namespace MiniContainer.UnitTests.Images;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("busybox", "busybox", "docker.io/library/busybox", null)]
    [InlineData("busybox:1.36", "busybox:1.36", "docker.io/library/busybox:1.36", "1.36")]
    [InlineData("docker.io/library/busybox:latest", "busybox:latest", "docker.io/library/busybox:latest", "latest")]
    [InlineData("index.docker.io/library/busybox", "busybox", "docker.io/library/busybox", null)]
    [InlineData("user/app:v1", "user/app:v1", "docker.io/user/app:v1", "v1")]
    [InlineData("localhost:5000/app", "localhost:5000/app", "localhost:5000/app", null)]
    [InlineData("localhost/app:dev", "localhost/app:dev", "localhost/app:dev", "dev")]
    [InlineData("quay.io/org/sub/app:1.0-rc_2", "quay.io/org/sub/app:1.0-rc_2", "quay.io/org/sub/app:1.0-rc_2", "1.0-rc_2")]
    [InlineData("my-registry.local:8443/a__b/c.d", "my-registry.local:8443/a__b/c.d", "my-registry.local:8443/a__b/c.d", null)]
    public void Parses_and_normalises_like_docker(string text, string familiar, string full, string? tag)
    {
        var reference = ImageReference.Parse(text);
        Assert.Equal(familiar, reference.ToString());
        Assert.Equal(full, reference.ToFullString());
        Assert.Equal(tag, reference.Tag);
    }

    [Fact]
    public void Default_tag_is_latest_unless_a_digest_is_given()
    {
        Assert.Equal("busybox:latest", ImageReference.Parse("busybox").WithDefaultTag().ToString());
        string digest = "sha256:" + new string('a', 64);
        var pinned = ImageReference.Parse("busybox@" + digest).WithDefaultTag();
        Assert.Null(pinned.Tag);
        Assert.Equal("busybox@" + digest, pinned.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(":latest")]
    [InlineData("busybox:")]
    [InlineData("bad name")]
    [InlineData("a/-b")]
    [InlineData("busybox:t@g")]
    [InlineData("busybox@sha256:short")]
    [InlineData("-busybox")]
    public void Rejects_malformed_references(string text)
    {
        var e = Assert.Throws<InvalidReferenceException>(() => ImageReference.Parse(text));
        Assert.StartsWith("invalid reference format", e.Message);
        Assert.False(ImageReference.TryParse(text, out _));
    }

    [Fact]
    public void Capitals_in_the_repository_get_dockers_message()
    {
        var e = Assert.Throws<InvalidReferenceException>(() => ImageReference.Parse("BusyBox"));
        Assert.Equal("invalid reference format: repository name (library/BusyBox) must be lowercase", e.Message);
    }

    [Fact]
    public void Capitals_in_the_first_component_make_it_a_registry()
    {
        // Docker's rule: "Registry/app" names the host "Registry".
        Assert.Equal("Registry", ImageReference.Parse("Registry/app").Domain);
    }

    [Theory]
    [InlineData("busybox", "busybox", "")]
    [InlineData("busybox:1.36", "busybox", "1.36")]
    [InlineData("localhost:5000/app", "localhost:5000/app", "")]
    [InlineData("localhost:5000/app:v1", "localhost:5000/app", "v1")]
    [InlineData("app@sha256:abc", "app@sha256:abc", "")]
    public void SplitTag_splits_a_name_as_written(string reference, string repo, string tag)
        => Assert.Equal((repo, tag), ImageReference.SplitTag(reference));

    [Fact]
    public void The_default_tag_in_familiar_form_for_messages()
    {
        Assert.Equal("busybox:latest", ImageReference.Parse("busybox").WithDefaultTag().ToString());
        Assert.Equal("busybox:latest", ImageReference.Parse("docker.io/library/busybox").WithDefaultTag().ToString());
        Assert.Equal("busybox:1", ImageReference.Parse("busybox:1").WithDefaultTag().ToString());
    }
}
