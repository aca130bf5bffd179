using Xunit;

namespace MiniContainer.NativeTests.Harness;

/// <summary>The lane runner's filter language, as `dotnet test --filter` reads it (pure: no root, no kernel).</summary>
public sealed class TestFilterTests
{
    private static bool Match(string filter, string fqn, params (string Name, string Value)[] traits) =>
        TestFilter.Parse(filter).Matches(name => name switch
        {
            "FullyQualifiedName" => [fqn],
            "Name" or "DisplayName" => [fqn],
            _ => traits.Where(t => t.Name == name).Select(t => t.Value),
        });

    [Theory]
    [InlineData("", true)]
    [InlineData("Lane=vm", true)]
    [InlineData("lane=VM", false)]              // property names are exact, values are not case-sensitive
    [InlineData("Lane=VM", true)]
    [InlineData("Lane!=vm", false)]
    [InlineData("FullyQualifiedName~Cgroup", true)]
    [InlineData("FullyQualifiedName!~Cgroup", false)]
    [InlineData("Cgroups.CgroupNativeTests", true)]  // a bare value: FullyQualifiedName contains it
    [InlineData("Lane=host|FullyQualifiedName~Out_of", true)]
    [InlineData("Lane=vm&FullyQualifiedName~Isolation", false)]
    [InlineData("(Lane=host|Lane=vm)&FullyQualifiedName~Out_of", true)]
    [InlineData("Lane=vm&(FullyQualifiedName~Isolation|FullyQualifiedName~Pids)", false)]
    [InlineData("Category=slow", false)]        // a trait the test does not have
    public void Conditions_and_or_and_parentheses(string filter, bool expected) =>
        Assert.Equal(expected, Match(filter, "MiniContainer.NativeTests.Cgroups.CgroupNativeTests.Out_of_memory", ("Lane", "vm")));

    [Fact]
    public void A_backslash_escapes_an_operator_character() =>
        Assert.True(Match(@"FullyQualifiedName~a\(b\)", "x.a(b)"));

    [Theory]
    [InlineData("Lane=")]
    [InlineData("(Lane=vm")]
    [InlineData("Lane=vm)")]
    [InlineData("=vm")]
    public void Bad_filters_are_refused_with_the_filter_in_the_message(string filter) =>
        Assert.Contains(filter, Assert.Throws<FormatException>(() => TestFilter.Parse(filter)).Message);
}
