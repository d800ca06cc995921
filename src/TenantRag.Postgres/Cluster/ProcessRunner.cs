using System.Diagnostics;

namespace TenantRag.Postgres.Cluster;

/// <summary>Runs a program to completion and captures its output.</summary>
internal static class ProcessRunner
{
    /// <summary>The result of one run.</summary>
    internal sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string Output => (StdOut + "\n" + StdErr).Trim();
    }

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/>. When <paramref name="runAs"/> is given, the program
    /// runs as that system user through <c>runuser</c> (PostgreSQL refuses to run as root).
    /// </summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, string? runAs = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (runAs is null)
        {
            psi.FileName = file;
        }
        else
        {
            psi.FileName = "runuser";
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add(runAs);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(file);
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        // pg_ctl start leaves the postmaster running with our pipes inherited unless its output is redirected
        // (we always pass -l), so reading to the end here terminates.
        using var process = Process.Start(psi) ?? throw new TenantRagException($"could not start '{file}'");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
