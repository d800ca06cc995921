namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>
/// A read-only view of the PDF file that gives the <see cref="PdfBudget"/> a checkpoint whenever PdfPig reads: opening a
/// file of hundreds of thousands of objects, or brute-force repairing a broken one, otherwise never comes back to
/// TenantRag until it is done. Does not own the inner stream.
/// </summary>
internal sealed class CheckpointStream(Stream inner, PdfBudget budget) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int ReadByte()
    {
        budget.Tick();
        return inner.ReadByte();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        budget.Tick();
        return inner.Read(buffer);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        budget.Tick();
        return inner.Seek(offset, origin);
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
