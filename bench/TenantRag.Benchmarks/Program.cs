using BenchmarkDotNet.Running;
using TenantRag.Benchmarks;

// BenchmarkDotNet micro-benchmarks. Run in Release, from the repository root:
//   dotnet run -c Release --project bench/TenantRag.Benchmarks -- --filter '*'               (full runs)
//   dotnet run -c Release --project bench/TenantRag.Benchmarks -- --filter '*' --job short   (quick: a few minutes on 2 cores)
// Any BenchmarkDotNet option works after '--' (--list flat, --filter '*Vector*', --join for one table, ...).
// The benchmark classes are public and not sealed: BenchmarkDotNet derives from them.
BenchmarkSwitcher.FromAssembly(typeof(VectorSearchBenchmarks).Assembly).Run(args);
