using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

public sealed class ContainerMountsTests
{
    [Theory]
    [InlineData("/srv/notes/../notes-data", "/srv/notes-data")]
    [InlineData("//srv/./app//data/", "/srv/app/data")]
    [InlineData("/a/b/../../..", "/")]
    [InlineData("/", "/")]
    [InlineData("/etc/my.cnf", "/etc/my.cnf")]
    public void Paths_are_cleaned_lexically_as_go_cleans_them(string path, string clean)
        => Assert.Equal(clean, ContainerMounts.Clean(path));
}
