using MiniContainer.Containers;
using Xunit;

namespace MiniContainer.UnitTests.Containers;

/// <summary>Docker's detach keys: the notation, and the matcher that holds back a possible start of the sequence.</summary>
public sealed class DetachKeysTests
{
    [Fact]
    public void Default_is_ctrl_p_ctrl_q()
    {
        Assert.Equal(new byte[] { 0x10, 0x11 }, DetachKeys.Parse(null).Sequence);
        Assert.Equal(new byte[] { 0x10, 0x11 }, DetachKeys.Parse("").Sequence);
    }

    [Theory]
    [InlineData("ctrl-x", new byte[] { 24 })]
    [InlineData("ctrl-a,ctrl-z", new byte[] { 1, 26 })]
    [InlineData("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", new byte[] { 0, 27, 28, 29, 30, 31 })]
    [InlineData("a,b,DEL", new byte[] { (byte)'a', (byte)'b', 127 })]
    public void Parses_dockers_notation(string keys, byte[] expected) => Assert.Equal(expected, DetachKeys.Parse(keys).Sequence);

    [Theory]
    [InlineData("ctrl-1")]
    [InlineData("ctrl-A")]
    [InlineData("ab")]
    [InlineData("ctrl-p,")]
    public void Refuses_what_docker_refuses(string keys)
    {
        var e = Assert.Throws<FormatException>(() => DetachKeys.Parse(keys));
        Assert.StartsWith("Unknown character: '", e.Message);
    }

    [Fact]
    public void The_whole_sequence_detaches_and_nothing_of_it_is_passed_on()
    {
        var m = DetachKeys.Default.NewMatcher();
        var (passOn, detach) = m.Feed("ab\x10"u8);
        Assert.Equal("ab"u8.ToArray(), passOn);
        Assert.False(detach);
        (passOn, detach) = m.Feed("\x11zz"u8);
        Assert.Empty(passOn);
        Assert.True(detach);
    }

    [Fact]
    public void A_broken_prefix_is_data_delivered_late_and_in_order()
    {
        var m = DetachKeys.Default.NewMatcher();
        var (passOn, detach) = m.Feed("\x10x\x10\x10\x11"u8);
        Assert.Equal(new byte[] { 0x10, (byte)'x', 0x10 }, passOn);
        Assert.True(detach);
    }

    [Fact]
    public void A_one_key_sequence_detaches_at_once()
    {
        var (passOn, detach) = DetachKeys.Parse("ctrl-p").NewMatcher().Feed("hi\x10more"u8);
        Assert.Equal("hi"u8.ToArray(), passOn);
        Assert.True(detach);
    }
}
