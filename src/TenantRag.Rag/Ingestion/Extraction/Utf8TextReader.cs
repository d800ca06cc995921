using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Unicode;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// Reads strict UTF-8 text from a stream a block at a time, so a file is never held as bytes and as text at once and a
/// limit on characters stops reading as soon as it is passed. An optional BOM is skipped; NUL bytes and a first 8 KB
/// made mostly of control characters mark the file as binary; invalid UTF-8 is refused with its byte offset and line.
/// Line endings come out as <c>\n</c>.
/// </summary>
internal sealed class Utf8TextReader
{
    private const int BlockSize = 64 * 1024;
    private const int SniffLength = 8 * 1024;

    private readonly Stream _stream;
    private readonly string _fileName;
    private readonly double _maxControlCharacterRatio;
    private readonly byte[] _bytes = new byte[BlockSize];
    private readonly char[] _chars = new char[BlockSize];
    private int _byteCount;
    private int _charStart;
    private int _charEnd;
    private long _offset;
    private long _line = 1;
    private bool _endOfStream;
    private bool _started;
    private bool _afterCarriageReturn;
    private int _sniffed;
    private int _controls;

    /// <param name="stream">The content, read from its current position; not disposed.</param>
    /// <param name="fileName">For error messages.</param>
    /// <param name="maxControlCharacterRatio">The binary sniff's threshold (1 turns it off).</param>
    public Utf8TextReader(Stream stream, string fileName, double maxControlCharacterRatio)
    {
        _stream = stream;
        _fileName = fileName;
        _maxControlCharacterRatio = maxControlCharacterRatio;
    }

    /// <summary>The rest of the text, however long (the caller bounds the stream).</summary>
    public ValueTask<string> ReadToEndAsync(CancellationToken cancellationToken) =>
        ReadToEndAsync(int.MaxValue, static () => new UnreachableException(), cancellationToken);

    /// <summary>The rest of the text; refused with <paramref name="tooLong"/> once it passes <paramref name="maxCharacters"/>.</summary>
    public async ValueTask<string> ReadToEndAsync(int maxCharacters, Func<Exception> tooLong, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        while (await FillAsync(cancellationToken).ConfigureAwait(false))
        {
            if (text.Length + (_charEnd - _charStart) > maxCharacters)
            {
                throw tooLong();
            }

            text.Append(_chars, _charStart, _charEnd - _charStart);
            _charStart = _charEnd;
        }

        return text.ToString();
    }

    /// <summary>The next line without its line break, or <see langword="null"/> at the end of the text.</summary>
    public async ValueTask<string?> ReadLineAsync(int maxCharacters, Func<Exception> tooLong, CancellationToken cancellationToken)
    {
        StringBuilder? line = null;
        while (await FillAsync(cancellationToken).ConfigureAwait(false))
        {
            var available = _chars.AsSpan(_charStart, _charEnd - _charStart);
            var newline = available.IndexOf('\n');
            var take = newline < 0 ? available.Length : newline;
            if ((line?.Length ?? 0) + take > maxCharacters)
            {
                throw tooLong();
            }

            if (newline >= 0 && line is null)
            {
                _charStart += newline + 1;
                return new string(available[..newline]);
            }

            line ??= new StringBuilder();
            line.Append(available[..take]);
            _charStart += newline < 0 ? take : take + 1;
            if (newline >= 0)
            {
                return line.ToString();
            }
        }

        return line?.ToString();
    }

    // Decodes the next block into _chars when the previous one is used up; false at the end of the text.
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        while (_charStart == _charEnd)
        {
            if (_endOfStream && _byteCount == 0)
            {
                FinishSniff();
                return false;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!_endOfStream)
            {
                var read = await _stream.ReadAsync(_bytes.AsMemory(_byteCount), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    _endOfStream = true;
                }
                else
                {
                    CheckForNul(_bytes.AsSpan(_byteCount, read));
                    _byteCount += read;
                }
            }

            var bytes = _bytes.AsSpan(0, _byteCount);
            if (!_started)
            {
                if (bytes.Length < 3 && !_endOfStream)
                {
                    continue;
                }

                _started = true;
                if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
                {
                    bytes[3..].CopyTo(_bytes);
                    _byteCount -= 3;
                    bytes = _bytes.AsSpan(0, _byteCount);
                }
            }

            Decode(bytes);
        }

        return true;
    }

    private void Decode(ReadOnlySpan<byte> bytes)
    {
        var status = Utf8.ToUtf16(bytes, _chars, out var bytesRead, out var charsWritten, replaceInvalidSequences: false, isFinalBlock: _endOfStream);
        if (status == OperationStatus.InvalidData)
        {
            var line = _line + bytes[..bytesRead].Count((byte)'\n');
            throw new DocumentRejectedException(
                _fileName,
                DocumentRejectionReason.InvalidEncoding,
                $"the file is not valid UTF-8 ({status} at byte offset {_offset + bytesRead}, line {line}); save it as UTF-8 and upload it again");
        }

        _line += bytes[..bytesRead].Count((byte)'\n');
        _offset += bytesRead;
        bytes[bytesRead..].CopyTo(_bytes);
        _byteCount = bytes.Length - bytesRead;
        if (status == OperationStatus.NeedMoreData && _endOfStream)
        {
            throw new DocumentRejectedException(
                _fileName,
                DocumentRejectionReason.InvalidEncoding,
                $"the file is not valid UTF-8 (it ends inside a character at byte offset {_offset}, line {_line}); save it as UTF-8 and upload it again");
        }

        Sniff(_chars.AsSpan(0, charsWritten));
        _charStart = 0;
        _charEnd = NormalizeNewlines(_chars.AsSpan(0, charsWritten));
    }

    // "\r\n" and "\r" become "\n", also when a "\r\n" is split between two blocks.
    private int NormalizeNewlines(Span<char> chars)
    {
        var written = 0;
        foreach (var c in chars)
        {
            if (c == '\n' && _afterCarriageReturn)
            {
                _afterCarriageReturn = false;
                continue;
            }

            _afterCarriageReturn = c == '\r';
            chars[written++] = _afterCarriageReturn ? '\n' : c;
        }

        return written;
    }

    private void CheckForNul(ReadOnlySpan<byte> block)
    {
        if (block.IndexOf((byte)0) >= 0)
        {
            throw new DocumentRejectedException(
                _fileName,
                DocumentRejectionReason.BinaryContent,
                "the file contains NUL bytes: it is binary (or UTF-16), not UTF-8 text; upload plain UTF-8 text");
        }
    }

    private void Sniff(ReadOnlySpan<char> chars)
    {
        if (_sniffed >= SniffLength)
        {
            return;
        }

        foreach (var c in chars[..Math.Min(chars.Length, SniffLength - _sniffed)])
        {
            if ((c < 0x20 && c is not ('\t' or '\n' or '\r' or '\f')) || c == 0x7F)
            {
                _controls++;
            }
        }

        _sniffed += Math.Min(chars.Length, SniffLength - _sniffed);
        if (_sniffed >= SniffLength)
        {
            FinishSniff();
        }
    }

    private void FinishSniff()
    {
        if (_sniffed > 0 && _controls > _maxControlCharacterRatio * _sniffed)
        {
            throw new DocumentRejectedException(
                _fileName,
                DocumentRejectionReason.BinaryContent,
                $"the file looks binary: {_controls} of the first {_sniffed} characters are control characters; upload plain UTF-8 text");
        }
    }
}
