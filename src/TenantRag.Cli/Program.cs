using TenantRag.Cli;

return await CommandLine.RunAsync(args).ConfigureAwait(false);
