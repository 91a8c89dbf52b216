#!/usr/bin/env node
// Turns a ProtoNet meta-train run into the playground's checkpoint: the encoder's tensors as float16 safetensors plus provenance.json.
//
// Usage: node scripts/make-play-checkpoint.mjs RUN_DIR --meta-test META_TEST.json [--out play/checkpoints] [--interim TEXT]
//   META_TEST.json is the output of `adaptlab meta-test RUN_DIR [--checkpoint latest] --episodes N --json` (recorded
//   verbatim, with the command that made it); the script evaluates the float16 file on the same episodes (same seed,
//   ways, shots, queries) and records that too. --interim TEXT marks the model as a stand-in and says why.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evalTasks, evaluate, loadSafetensors, ProtoNet, serializeSafetensors } from '../dist/src/index.js';
import { loadEncoder } from '../dist/src/play/oneshot.js';

const NAME = 'protonet-omniglot-5w1s.f16.safetensors';
const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'meta-test': { type: 'string' }, out: { type: 'string' }, interim: { type: 'string' } } });
if (positionals.length !== 1 || !values['meta-test']) {
  console.error('usage: node scripts/make-play-checkpoint.mjs RUN_DIR --meta-test META_TEST.json [--out play/checkpoints] [--interim TEXT]');
  process.exit(2);
}
const run = resolve(positionals[0]);
const outDir = resolve(values.out ?? 'play/checkpoints');
const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
const summary = existsSync(join(run, 'summary.json')) ? JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) : null;
const metaTest = JSON.parse(readFileSync(resolve(values['meta-test']), 'utf8'));
if (config.meta.method !== 'protonet') throw new Error(`${run} is a ${config.meta.method} run, not protonet`);

// the learner's tensors are model.<encoder name>; the playground loads the encoder alone
const src = loadSafetensors(join(metaTest.checkpoint, 'learner.safetensors'));
const tensors = new Map();
for (const [name, t] of Object.entries(src.tensors)) {
  if (!name.startsWith('model.')) throw new Error(`unexpected tensor ${name}`);
  tensors.set(name.slice('model.'.length), t);
}
const ints = [...tensors.keys()].filter((k) => k.endsWith('num_batches_tracked'));
const metadata = {
  format: 'adaptlab Conv4 encoder (numClasses 0, max-pool), F16',
  method: 'protonet', dataset: 'omniglot', split: config.meta.split ?? 'snell',
  command: config.command.join(' '), seed: String(config.meta.seed),
  metaTestAccuracy: String(metaTest.accuracy), metaTestCi95: String(metaTest.ci95), metaTestSplit: config.meta.split ?? 'snell',
};
const parts = serializeSafetensors(tensors, { float16: 'all', int64: ints, metadata });
const bytes = Buffer.concat(parts);
mkdirSync(outDir, { recursive: true });
const file = join(outDir, NAME);
writeFileSync(file, bytes);

// the float16 file on the meta-test's own episodes, through the playground's loader
const { encoder } = loadEncoder(new Uint8Array(bytes), file);
const testConfig = { ...config.meta, ways: metaTest.ways, shots: metaTest.shots, queries: 15 };
const tasks = evalTasks(testConfig, 'test', metaTest.episodes, metaTest.seed);
const f16 = evaluate(new ProtoNet({ encoder }), tasks);
const params = encoder.parameters().reduce((a, p) => a + p.numel(), 0);

const SPLITS = {
  vinyals: 'the 1200 training characters of the Vinyals split, each rotated by 0/90/180/270° as a new class',
  snell: 'the 1028 training characters of the Snell split (Vinyals\' characters less 5 validation alphabets), rotations as classes',
  lake: 'the 964 characters of the background alphabets',
  maml: 'the 1100 training characters of the MAML split, with random 90° rotations per task',
};
const split = config.meta.split ?? 'snell';
const trainWays = config.meta.trainWays ?? (config.command.includes('--train-ways') ? Number(config.command[config.command.indexOf('--train-ways') + 1]) : 60);
const provenance = {
  file: NAME,
  description: `Conv-4 prototypical network (Snell et al. 2017), embedding 64-d, meta-trained with ${trainWays}-way ${config.meta.shots}-shot episodes on ${SPLITS[split] ?? `Omniglot (${split} split)`}.`,
  ...(values.interim ? { interim: values.interim } : {}),
  command: config.command.join(' '),
  ...(summary?.resumedFrom ? { resumed: `continued from step ${summary.resumedFrom} by the same command with --resume (the last one with --time-budget ${Math.round(summary.elapsedSeconds)})` } : {}),
  seed: config.meta.seed,
  date: new Date().toISOString().slice(0, 10),
  trainedOn: { created: config.created, adaptlab: config.adaptlab, node: config.node, backend: config.backend, threads: config.threads, steps: summary?.steps ?? null, seconds: summary?.elapsedSeconds ?? null, bestValidation: summary?.best ?? null },
  metaTest: {
    command: metaTest.command ?? `adaptlab meta-test ${config.command[config.command.indexOf('--out') + 1]} --episodes ${metaTest.episodes} --json`,
    ways: metaTest.ways, shots: metaTest.shots, queries: 15, episodes: metaTest.episodes, seed: metaTest.seed,
    accuracy: metaTest.accuracy, ci95: metaTest.ci95, checkpoint: basename(metaTest.checkpoint),
  },
  float16: { accuracy: f16.mean, ci95: f16.ci95, note: 'this file (float16 weights widened to float32) on the same episodes' },
  parameters: params,
  bytes: statSync(file).size,
};
writeFileSync(join(outDir, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
console.log(`${file}: ${provenance.bytes} bytes, ${params} parameters; meta-test ${(100 * metaTest.accuracy).toFixed(2)} ± ${(100 * metaTest.ci95).toFixed(2)}%, float16 ${(100 * f16.mean).toFixed(2)} ± ${(100 * f16.ci95).toFixed(2)}%`);
