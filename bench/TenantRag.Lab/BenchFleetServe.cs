using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace TenantRag.Lab;

/// <summary>
/// A real <c>tenantrag serve --dev-auth</c> process of this same build, on a loopback port of its own, over the bench's
/// throwaway cluster and home: its memory is its own (not the load generator's), and it is configured the way an
/// operator would, through <c>TenantRag__*</c> environment variables. Disposing it kills it.
/// </summary>
internal sealed partial class BenchFleetServe : IAsyncDisposable
{
    private const int KeptLines = 40;
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(120);

    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Everything the server writes, when TENANTRAG_BENCH_SERVE_LOG names a file (for reading its Debug timings after a run).
    private readonly StreamWriter? _log = Environment.GetEnvironmentVariable(ServeLogVariable) is { Length: > 0 } path
        ? new StreamWriter(path, append: true) { AutoFlush = true }
        : null;

    /// <summary>The environment variable naming a file that receives the server's whole output.</summary>
    public const string ServeLogVariable = "TENANTRAG_BENCH_SERVE_LOG";

    private BenchFleetServe(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The process id (for its resident memory).</summary>
    public int Id => _process.Id;

    /// <summary>Where it listens, once it said so.</summary>
    public Uri Address => _address.Task.IsCompletedSuccessfully ? _address.Task.Result : throw new InvalidOperationException("the server has not started");

    /// <summary>
    /// Starts <c>serve</c> with <paramref name="environment"/> added to this process's variables and waits until it
    /// prints where it serves.
    /// </summary>
    public static async Task<BenchFleetServe> StartAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var psi = StartInfo();
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        var process = Process.Start(psi) ?? throw new BenchFailedException($"could not start {psi.FileName} serve");
        process.StandardInput.Close();
        var serve = new BenchFleetServe(process);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartPatience);
            var exited = process.WaitForExitAsync(timeout.Token);
            var first = await Task.WhenAny(serve._address.Task, exited).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (first != serve._address.Task)
            {
                throw new BenchFailedException(process.HasExited
                    ? $"tenantrag serve exited ({process.ExitCode}) before serving: {serve.Tail()}"
                    : $"tenantrag serve did not say where it serves within {StartPatience.TotalSeconds:0} s: {serve.Tail()}");
            }

            return serve;
        }
        catch
        {
            await serve.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Its resident set (VmRSS) in bytes, or null once it is gone.</summary>
    public long? ResidentBytes() => BenchFleetMemory.Resident(_process.Id)?.Rss;

    /// <summary>The last lines it wrote, for an error message.</summary>
    public string Tail()
    {
        lock (_gate)
        {
            return _lines.Count == 0 ? "(no output)" : string.Join(" | ", _lines);
        }
    }

    /// <summary>Throws when the server is gone (a crash under load must not pass for figures).</summary>
    public void EnsureRunning()
    {
        if (_process.HasExited)
        {
            throw new BenchFailedException($"tenantrag serve exited ({_process.ExitCode}) during the bench: {Tail()}");
        }
    }

    /// <summary>Kills the process (SIGKILL) without waiting for it to go.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Gone already, or it did not die in time: nothing more to do here.
        }

        _process.Dispose();
        lock (_gate)
        {
            _log?.Dispose();
        }
    }

    // The command line that runs this bench: the apphost (tenantrag) itself, or 'dotnet tenantrag.dll'.
    private static ProcessStartInfo StartInfo()
    {
        var host = Environment.ProcessPath ?? throw new BenchFailedException("cannot tell which program runs this bench, to start 'serve' with it");
        var psi = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.Ordinal))
        {
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry ? entry
                : throw new BenchFailedException("cannot tell which assembly runs this bench, to start 'serve' with it"));
        }

        foreach (var arg in new[] { "serve", "--dev-auth", "--urls", "http://127.0.0.1:0" })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["NO_COLOR"] = "1";
        return psi;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (!_address.Task.IsCompleted && ServingLine().Match(line) is { Success: true } match)
        {
            _address.TrySetResult(new Uri($"http://127.0.0.1:{int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)}/"));
        }

        lock (_gate)
        {
            _log?.WriteLine(line);
            _lines.Enqueue(line.Length > 300 ? line[..300] : line);
            while (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }
        }
    }

    [GeneratedRegex(@"^serving on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ServingLine();
}
