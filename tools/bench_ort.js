// SPDX-License-Identifier: GPL-3.0-or-later
// ONNX Runtime's side of tools/bench_ort: times one model's forward pass.
//
//   node tools/bench_ort.js ORT_MODULE_DIR MODEL.onnx BATCH THREADS RUNS WARMUP
//
// One session per call (intra-op threads = THREADS, one inter-op thread,
// sequential execution, every graph optimisation), a fixed pseudo-random input
// of [BATCH, 3, H, W] (H, W from the model's input), WARMUP untimed runs, then
// RUNS timed ones. Prints one JSON object: wall times and CPU times in ms.
// With ORT_PROFILE=PREFIX in the environment, ONNX Runtime's own profiler is
// on (SessionOptions enableProfiling): its per-node JSON trace is written to
// PREFIX_<date>.json and its path added to the output as "profile"
// (tools/ort_profile.py sums it per node and per op).
'use strict';

const path = require('path');

async function main () {
  const [dir, model, batchS, threadsS, runsS, warmupS] = process.argv.slice(2);
  if (!warmupS) {
    console.error('usage: bench_ort.js ORT_MODULE_DIR MODEL.onnx BATCH THREADS RUNS WARMUP');
    process.exit(2);
  }
  const ort = require(path.join(dir, 'node_modules', 'onnxruntime-node'));
  const batch = Number(batchS), threads = Number(threadsS);
  const runs = Number(runsS), warmup = Number(warmupS);

  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableProfiling: !!process.env.ORT_PROFILE,
    profileFilePrefix: process.env.ORT_PROFILE || undefined
  });
  const meta = session.inputMetadata ? session.inputMetadata[0] : null;
  let h = 224, w = 224;
  if (meta && meta.shape && typeof meta.shape[2] === 'number') {
    h = meta.shape[2];
    w = meta.shape[3];
  }
  const n = batch * 3 * h * w;
  const x = new Float32Array(n);
  let s = 42;
  for (let i = 0; i < n; i++) { // xorshift: the same input every call
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    x[i] = ((s >>> 0) / 4294967296 - 0.5) * 4;
  }
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', x, [batch, 3, h, w]);

  const times = [], cpu = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    await session.run(feeds);
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    const dc = process.cpuUsage(c0);
    if (i >= warmup) {
      times.push(dt);
      cpu.push((dc.user + dc.system) / 1e3);
    }
  }
  let profile = null;
  if (process.env.ORT_PROFILE) {
    const fs = require('fs');
    const dir = path.dirname(process.env.ORT_PROFILE) || '.';
    const base = path.basename(process.env.ORT_PROFILE);
    session.endProfiling();
    const found = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'))
      .map((f) => path.join(dir, f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    profile = found.length ? found[0] : null;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  console.log(JSON.stringify({
    ort_version: ort.env && ort.env.versions ? ort.env.versions.common : null,
    input: [batch, 3, h, w], threads, times_ms: times, cpu_times_ms: cpu,
    profile, median_ms: median, min_ms: sorted[0], max_ms: sorted[sorted.length - 1]
  }));
}

main().catch((e) => { console.error('bench_ort.js: ' + e.message); process.exit(1); });
