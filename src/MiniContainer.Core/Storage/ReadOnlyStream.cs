namespace MiniContainer.Storage;

/// <summary>
/// The boilerplate of a forward-only Stream (sockets, pipes, wrappers that count, hash or frame what passes):
/// no length, no position, no seeking. A subclass says what it can do and writes its Read and/or Write.
/// </summary>
public abstract class ForwardOnlyStream : Stream
{
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>
/// A forward-only, read-only Stream (request bodies, decompressors, hashing pass-throughs): a subclass writes only its Read.
/// </summary>
public abstract class ReadOnlyStream : ForwardOnlyStream
{
    public override bool CanRead => true;
    public override bool CanWrite => false;
    public override void Flush() { }
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
