using System.Buffers.Binary;
using System.Text;
using MiniContainer.Runtime;
using Xunit;

namespace MiniContainer.UnitTests.Runtime;

/// <summary>The frames on a shim's control socket: [type][length, 4 bytes big-endian][payload].</summary>
public sealed class ShimProtocolTests
{
    /// <summary>Returns at most one byte per read, as a socket may: a frame must be put back together across reads.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 1)]);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer, offset, count));
    }

    [Fact]
    public void Frames_round_trip_in_order_through_the_sync_api()
    {
        var wire = new MemoryStream();
        ShimProtocol.WriteFrame(wire, ShimProtocol.Attach, "stdout stderr"u8);
        ShimProtocol.WriteFrame(wire, ShimProtocol.CloseStdin, ReadOnlySpan<byte>.Empty);
        ShimProtocol.WriteFrame(wire, ShimProtocol.Resize, "24 80"u8);

        var read = new TrickleStream(wire.ToArray());
        Assert.Equal((ShimProtocol.Attach, "stdout stderr"), Text(ShimProtocol.ReadFrame(read)));
        Assert.Equal((ShimProtocol.CloseStdin, ""), Text(ShimProtocol.ReadFrame(read)));
        Assert.Equal((ShimProtocol.Resize, "24 80"), Text(ShimProtocol.ReadFrame(read)));
        Assert.Null(ShimProtocol.ReadFrame(read));
    }

    [Fact]
    public async Task Frames_round_trip_through_the_async_api_and_mix_with_the_sync_one()
    {
        var wire = new MemoryStream();
        byte[] big = new byte[ShimProtocol.MaxPayload];
        new Random(7).NextBytes(big);
        await ShimProtocol.WriteFrameAsync(wire, ShimProtocol.Stdout, Encoding.UTF8.GetBytes("héllo\n"));
        ShimProtocol.WriteFrame(wire, ShimProtocol.Stderr, big);
        await ShimProtocol.WriteFrameAsync(wire, ShimProtocol.Exited, Encoding.UTF8.GetBytes("{\"ExitCode\":3}"));

        wire.Position = 0;
        Assert.Equal((ShimProtocol.Stdout, "héllo\n"), Text(await ShimProtocol.ReadFrameAsync(wire)));
        var second = await ShimProtocol.ReadFrameAsync(wire);
        Assert.Equal(ShimProtocol.Stderr, second!.Value.Type);
        Assert.Equal(big, second.Value.Payload);
        Assert.Equal((ShimProtocol.Exited, "{\"ExitCode\":3}"), Text(ShimProtocol.ReadFrame(wire)));
        Assert.Null(await ShimProtocol.ReadFrameAsync(wire));
    }

    [Fact]
    public void The_header_is_one_type_byte_and_a_big_endian_length()
    {
        var wire = new MemoryStream();
        ShimProtocol.WriteFrame(wire, ShimProtocol.Stdin, new byte[0x0102]);
        byte[] bytes = wire.ToArray();
        Assert.Equal(5 + 0x0102, bytes.Length);
        Assert.Equal(new byte[] { (byte)'I', 0, 0, 1, 2 }, bytes[..5]);
    }

    /// <summary>Counts the writes that reach it, as a socket would see them.</summary>
    private sealed class WriteCountingStream : MemoryStream
    {
        public int Writes;
        public override void Write(byte[] buffer, int offset, int count) { Writes++; base.Write(buffer, offset, count); }
        public override void Write(ReadOnlySpan<byte> buffer) { Writes++; base.Write(buffer); }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(32 * 1024)]
    public void A_frame_goes_out_in_one_write_even_without_a_payload(int length)
    {
        // Two writes let a peer that hung up after reading the head of a 'K' turn the second (empty) one into EPIPE.
        var wire = new WriteCountingStream();
        ShimProtocol.WriteFrame(wire, ShimProtocol.Attached, new byte[length]);
        Assert.Equal(1, wire.Writes);
        Assert.Equal(5 + length, wire.ToArray().Length);
    }

    private static byte[] Header(byte type, int length)
    {
        byte[] h = new byte[5];
        h[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(1), length);
        return h;
    }

    [Theory]
    [InlineData(ShimProtocol.MaxPayload + 1)]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    public async Task A_length_beyond_the_limit_or_negative_is_refused_before_allocating(int length)
    {
        byte[] wire = Header(ShimProtocol.Stdout, length);
        Assert.Throws<InvalidDataException>(() => ShimProtocol.ReadFrame(new MemoryStream(wire)));
        await Assert.ThrowsAsync<InvalidDataException>(() => ShimProtocol.ReadFrameAsync(new MemoryStream(wire)));
    }

    [Fact]
    public async Task A_clean_end_of_stream_is_null()
    {
        Assert.Null(ShimProtocol.ReadFrame(new MemoryStream()));
        Assert.Null(await ShimProtocol.ReadFrameAsync(new MemoryStream()));
    }

    private static (byte, string) Text((byte Type, byte[] Payload)? frame)
    {
        Assert.NotNull(frame);
        return (frame.Value.Type, Encoding.UTF8.GetString(frame.Value.Payload));
    }
}
