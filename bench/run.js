// Placeholder entry for `npm run bench` until the benchmark issue lands: says so and exits non-zero,
// so nobody mistakes it for a passing benchmark.
process.stderr.write('tributary: no benchmarks yet (see bench/README.md)\n');
process.exitCode = 1;
