using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit;

namespace TenantRag.Testing;

/// <summary>
/// A command line that runs until stopped (<c>tenantrag serve</c>): its output is collected as it comes, a test can
/// wait for a line, and <see cref="StopAsync"/> stops it as Ctrl+C or a service manager would (SIGTERM).
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private readonly Task _reading;

    private CliProcess(Process process)
    {
        _process = process;
        _reading = Task.WhenAll(ReadAsync(process.StandardOutput, _stdout), ReadAsync(process.StandardError, _stderr));
    }

    /// <summary>What it wrote on stdout so far.</summary>
    public string StdOut
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>What it wrote on stderr so far.</summary>
    public string StdErr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    internal static CliProcess Start(ProcessStartInfo psi)
    {
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        process.StandardInput.Close();
        return new CliProcess(process);
    }

    /// <summary>Waits for a line of stdout or stderr that <paramref name="matches"/>, and returns it.</summary>
    /// <exception cref="InvalidOperationException">The process exited first.</exception>
    /// <exception cref="TimeoutException">No such line came within 90 seconds.</exception>
    public async Task<string> WaitForLineAsync(Func<string, bool> matches)
    {
        var ct = TestContext.Current.CancellationToken;
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var line = (StdOut + "\n" + StdErr).Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(matches);
            if (line is not null)
            {
                return line;
            }

            if (_process.HasExited)
            {
                await _reading.WaitAsync(ct);
                throw new InvalidOperationException($"the command exited ({_process.ExitCode}) before printing the line waited for\nstdout: {StdOut}\nstderr: {StdErr}");
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"the line waited for did not come within {Patience.TotalSeconds:0} s\nstdout: {StdOut}\nstderr: {StdErr}");
    }

    /// <summary>Sends SIGTERM and waits for the process to exit; returns what it did.</summary>
    public async Task<CliRun> StopAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
                ?? throw new InvalidOperationException("could not run kill");
            await kill.WaitForExitAsync(ct);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Patience);
        await _process.WaitForExitAsync(timeout.Token);
        await _reading.WaitAsync(timeout.Token);
        return new CliRun(_process.ExitCode, StdOut, StdErr);
    }

    /// <summary>Kills the process outright (SIGKILL, as <c>kill -9</c>): no shutdown code of it runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_gate)
            {
                into.Append(buffer, 0, read);
            }
        }
    }
}
