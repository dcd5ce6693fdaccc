// Test-only preload for a gateway process started with `--expose-gc --import` this file: on
// SIGUSR2 it runs two full collections and prints the memory in use as one JSON log line, so
// that a load test can read the gateway's own RSS before and after.
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const usage = process.memoryUsage();
  const line = { msg: 'memory after gc', rss: usage.rss, heap: usage.heapUsed + usage.external };
  process.stdout.write(`${JSON.stringify(line)}\n`);
});
