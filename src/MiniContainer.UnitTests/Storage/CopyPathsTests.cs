using MiniContainer.Runtime;
using MiniContainer.Storage;
using Xunit;

namespace MiniContainer.UnitTests.Storage;

/// <summary>Docker's cp path rules, without a file system.</summary>
public sealed class CopyPathsTests
{
    [Theory]
    [InlineData("c1:/etc/hosts", "c1", "/etc/hosts")]
    [InlineData("c1:rel/x", "c1", "rel/x")]
    [InlineData("/abs:with:colons", null, "/abs:with:colons")]
    [InlineData("./file:name.txt", null, "./file:name.txt")]
    [InlineData("plain", null, "plain")]
    [InlineData("-", null, "-")]
    public void An_argument_names_a_container_only_before_a_colon_of_a_non_local_path(string arg, string? container, string path)
    {
        Assert.Equal((container, path), CopyPaths.SplitArgument(arg));
    }

    [Theory]
    [InlineData("/a/b/", "/a", "b")]
    [InlineData("/a/b/.", "/a/b", ".")]
    [InlineData("/a/b", "/a", "b")]
    [InlineData("b", ".", "b")]
    [InlineData("/", "/", "/")]
    public void SplitDirEntry_keeps_a_trailing_dot_as_the_entry(string path, string dir, string name)
    {
        Assert.Equal((dir, name), CopyPaths.SplitDirEntry(path));
    }

    [Fact]
    public void A_directory_into_an_existing_directory_is_extracted_there_as_is()
    {
        Assert.Equal(new CopyPlan("/dst", null, null), CopyPaths.Plan("/src/dir", true, null, "/dst", destExists: true, destIsDir: true));
    }

    [Fact]
    public void A_directory_to_a_new_name_becomes_that_name()
    {
        Assert.Equal(new CopyPlan("/", "dir", "new"), CopyPaths.Plan("/src/dir", true, null, "/new", false, false));
    }

    [Fact]
    public void The_contents_of_a_directory_to_a_new_name_rebase_the_dot()
    {
        var plan = CopyPaths.Plan("/src/dir/.", true, null, "/tmp/new", false, false);
        Assert.Equal(new CopyPlan("/tmp", ".", "new"), plan);
        Assert.Equal("new/x", CopyPaths.Rebase("./x", plan.RebaseFrom!, plan.RebaseTo!));
        Assert.Equal("new/", CopyPaths.Rebase("./", plan.RebaseFrom!, plan.RebaseTo!));
    }

    [Fact]
    public void A_file_onto_an_existing_file_takes_its_name()
    {
        Assert.Equal(new CopyPlan("/etc", "a.txt", "b.conf"), CopyPaths.Plan("/src/a.txt", false, null, "/etc/b.conf", true, false));
    }

    [Fact]
    public void A_file_to_a_missing_path_with_a_trailing_slash_is_no_such_directory()
    {
        Assert.Equal("no such directory", Assert.Throws<CopyRuleException>(() => CopyPaths.Plan("/a.txt", false, null, "/nope/", false, false)).Message);
    }

    [Fact]
    public void A_directory_onto_an_existing_file_cannot_be_copied()
    {
        Assert.Equal("cannot copy directory", Assert.Throws<CopyRuleException>(() => CopyPaths.Plan("/d", true, null, "/f", true, false)).Message);
    }

    [Fact]
    public void Rebase_only_touches_the_first_element()
    {
        Assert.Equal("new/sub/dir/x", CopyPaths.Rebase("dir/sub/dir/x", "dir", "new"));
        Assert.Equal("dirty/x", CopyPaths.Rebase("dirty/x", "dir", "new"));
    }

    [Fact]
    public void Following_a_link_keeps_the_asked_name_and_trailing_dot()
    {
        Assert.Equal(("/real/target/.", null), CopyPaths.RebaseName("/link/.", "/real/target"));
        Assert.Equal(("/real/target", "link"), CopyPaths.RebaseName("/x/link", "/real/target"));
    }

    [Theory]
    [InlineData("a/../../b")]
    [InlineData("../x")]
    [InlineData("/../x")]
    [InlineData("a\0b")]
    public void Tar_names_climbing_out_are_refused(string name)
    {
        Assert.False(TarNames.TryClean(name, out _));
    }

    [Theory]
    [InlineData("/etc/passwd", "etc/passwd")]
    [InlineData("./a/./b/../c", "a/c")]
    [InlineData("./", null)]
    public void Tar_names_are_cleaned_relative_to_the_destination(string name, string? clean)
    {
        Assert.True(TarNames.TryClean(name, out var actual));
        Assert.Equal(clean, actual);
    }

    [Fact]
    public void In_root_resolution_keeps_malicious_links_inside()
    {
        var links = new Dictionary<string, string> { ["/escape"] = "/", ["/a"] = "../../..", ["/chain1"] = "chain2", ["/chain2"] = "/escape/a/tmp" };
        string? Read(string p) => links.GetValueOrDefault(p);
        Assert.Equal("/tmp/x", SecureJoin.ResolveInRoot(Read, "/escape/tmp/x"));
        Assert.Equal("/etc", SecureJoin.ResolveInRoot(Read, "/a/etc"));
        Assert.Equal("/tmp", SecureJoin.ResolveInRoot(Read, "/chain1"));
    }
}
