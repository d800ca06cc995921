using System.Buffers;
using System.IO.Pipelines;

namespace TenantRag.Server;

/// <summary>
/// A connection's output as Kestrel writes it, passed on unchanged except for one thing: a response that starts (right
/// after a flush) with <c>HTTP/1.1 400 </c>, <c>408 </c>, <c>414 </c> or <c>431 </c> is held until the next flush and, if
/// it is Kestrel's own empty refusal, replaced by <see cref="RejectedRequestProblems.Replace"/>.
/// </summary>
/// <remarks>
/// Kestrel writes into the memory a writer hands out and keeps writing after <see cref="Advance"/> into the rest of it,
/// so bytes that may be held back must be written into memory of our own from the start. At the start of a response the
/// writer therefore hands out a buffer of its own; once the first 13 bytes show an ordinary response, what was written
/// there is copied on to the transport at the next request for memory (or the flush), and the transport's own memory is
/// handed out until the next flush. The cost is copying each response's first write (its headers, and a small body
/// written with them) once.
/// </remarks>
internal sealed class ProblemBodyPipeWriter(PipeWriter inner, IReadOnlyDictionary<int, byte[]> bodies) : PipeWriter
{
    // "HTTP/1.1 431 ": the status line up to the reason phrase.
    private const int ProbeLength = 13;

    private const int InitialCapacity = 512;

    private const int ShrinkAbove = 16 * 1024;

    // Kestrel's refusals are a status line and four short headers; anything longer is not one.
    private const int MaxHeld = 4096;

    private static ReadOnlySpan<byte> Version => "HTTP/1.1 "u8;

    private ArrayBufferWriter<byte> _held = new(InitialCapacity);
    private Mode _mode = Mode.Probing;
    private bool _heldMemoryOut;

    private enum Mode
    {
        /// <summary>At the start of a response: written into our buffer until the first 13 bytes say what it is.</summary>
        Probing,

        /// <summary>It starts like a refusal: everything is held until the flush.</summary>
        Capturing,

        /// <summary>Not a refusal: straight into the transport until the next flush.</summary>
        Passing,
    }

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes + _held.WrittenCount;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_mode == Mode.Probing && sizeHint > MaxHeld)
        {
            _mode = Mode.Passing;
        }

        if (_mode == Mode.Passing)
        {
            WriteHeld(replace: false);
            _heldMemoryOut = false;
            return inner.GetMemory(sizeHint);
        }

        // All of the buffer's free space, every time: Kestrel may ask twice before it advances and expects the same memory.
        _heldMemoryOut = true;
        return _held.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        if (!_heldMemoryOut)
        {
            inner.Advance(bytes);
            return;
        }

        _held.Advance(bytes);
        var written = _held.WrittenSpan;
        if (_mode == Mode.Probing && written.Length >= ProbeLength)
        {
            _mode = IsRefusalStart(written) ? Mode.Capturing : Mode.Passing;
        }
        else if (_mode == Mode.Probing && !Version.StartsWith(written[..Math.Min(written.Length, Version.Length)]))
        {
            _mode = Mode.Passing;
        }
        else if (_mode == Mode.Capturing && written.Length > MaxHeld)
        {
            _mode = Mode.Passing;
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        WriteHeld(replace: _mode == Mode.Capturing);
        _mode = Mode.Probing;
        _heldMemoryOut = false;
        return inner.FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        WriteHeld(replace: _mode == Mode.Capturing);
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        WriteHeld(replace: _mode == Mode.Capturing);
        return inner.CompleteAsync(exception);
    }

    /// <summary>"HTTP/1.1 " and a status Kestrel refuses requests with, then a space.</summary>
    private bool IsRefusalStart(ReadOnlySpan<byte> start) =>
        start.StartsWith(Version) && start[ProbeLength - 1] == (byte)' '
        && int.TryParse(start.Slice(Version.Length, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
        && bodies.ContainsKey(status);

    // What was written into our buffer goes on to the transport, in order: replaced when it is a complete refusal.
    private void WriteHeld(bool replace)
    {
        if (_held.WrittenCount == 0)
        {
            return;
        }

        if (replace && RejectedRequestProblems.Replace(_held.WrittenSpan, bodies) is { } replacement)
        {
            inner.Write(replacement);
        }
        else
        {
            inner.Write(_held.WrittenSpan);
        }

        _held.ResetWrittenCount();
        if (_held.Capacity > ShrinkAbove)
        {
            // One large first write (a big JSON body) should not keep its buffer for the life of the connection.
            _held = new ArrayBufferWriter<byte>(InitialCapacity);
        }
    }
}
