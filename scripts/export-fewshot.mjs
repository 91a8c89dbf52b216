#!/usr/bin/env node
// Writes a few-shot split exactly as adaptlab feeds it (decoded, resized, rotated, scaled: collate's float32) as .npy
// files, so a PyTorch reference trains on the same inputs: <out>-images.npy (float32 [N, H, W]), <out>-labels.npy (int32 [N]).
// With --episodes E --ways N --shots K --queries Q --seed S it also writes <out>-episodes.npy (int32 [E, N·(K+Q)]: the
// support then query indices, class-major) of the fixed evaluation set `meta-test` uses for that seed.
//   node scripts/export-fewshot.mjs --dataset omniglot --split snell:train --data-dir ../shared/data --out /tmp/omniglot-train
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { collate, EpisodeSampler, evalTasks, openDataset } from '../dist/src/index.js';

const { values } = parseArgs({ options: { dataset: { type: 'string' }, split: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' }, episodes: { type: 'string' }, ways: { type: 'string' }, shots: { type: 'string' }, queries: { type: 'string' }, seed: { type: 'string' } } });
if (values.dataset === 'sinusoid') {
  // the fixed sinusoid test tasks of `meta-test` for this seed: <out>-support-{x,y}.npy [E, K, 1], <out>-query-{x,y}.npy [E, Q, 1]
  const e = Number(values.episodes ?? 600), shots = Number(values.shots ?? 5), queries = Number(values.queries ?? 10);
  const tasks = [...evalTasks({ method: 'maml', dataset: 'sinusoid', ways: 1, shots, queries, seed: 0 }, 'test', e, Number(values.seed ?? 0))];
  const pack = (pick, n) => { const a = new Float32Array(e * n); tasks.forEach((t, i) => a.set(pick(t).data, i * n)); return a; };
  writeFileSync(`${values.out}-support-x.npy`, npy('<f4', [e, shots, 1], pack((t) => t.support.x, shots)));
  writeFileSync(`${values.out}-support-y.npy`, npy('<f4', [e, shots, 1], pack((t) => t.support.y, shots)));
  writeFileSync(`${values.out}-query-x.npy`, npy('<f4', [e, queries, 1], pack((t) => t.query.x, queries)));
  writeFileSync(`${values.out}-query-y.npy`, npy('<f4', [e, queries, 1], pack((t) => t.query.y, queries)));
  console.log(JSON.stringify({ dataset: 'sinusoid', episodes: e, shots, queries, seed: Number(values.seed ?? 0) }));
  process.exit(0);
}
if (!values.dataset || !values.split || !values.out) {
  console.error('usage: node scripts/export-fewshot.mjs --dataset D --split S [--data-dir DIR] --out PREFIX');
  process.exit(2);
}
const { dataset } = openDataset(values.dataset, values['data-dir'] ? { dataDir: values['data-dir'] } : {}).split(values.split);
const [c, h, w] = dataset.imageShape;
if (c !== 1) throw new Error('only single-channel datasets are exported');
const n = dataset.length;
const images = new Float32Array(n * h * w);
for (let i = 0; i < n; i += 1000) {
  const idx = Array.from({ length: Math.min(1000, n - i) }, (_, k) => i + k);
  images.set(collate(dataset, idx).x.data, i * h * w);
}
const labels = Int32Array.from(dataset.labels);

function npy(descr, shape, bytes) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
}
writeFileSync(`${values.out}-images.npy`, npy('<f4', [n, h, w], images));
writeFileSync(`${values.out}-labels.npy`, npy('<i4', [n], labels));
console.log(JSON.stringify({ dataset: values.dataset, split: values.split, images: n, classes: dataset.classes.length, shape: [h, w] }));
if (values.episodes) {
  const e = Number(values.episodes), ways = Number(values.ways), shots = Number(values.shots), queries = Number(values.queries);
  const set = new EpisodeSampler(dataset, { ways, shots, queries }).fixed(Number(values.seed ?? 0), e);
  const per = ways * (shots + queries);
  const idx = new Int32Array(e * per);
  set.all.forEach((ep, i) => { idx.set(ep.support, i * per); idx.set(ep.query, i * per + ways * shots); });
  writeFileSync(`${values.out}-episodes.npy`, npy('<i4', [e, per], idx));
  console.log(JSON.stringify({ episodes: e, ways, shots, queries, seed: Number(values.seed ?? 0), hash: set.hash() }));
}
