#!/usr/bin/env node
// Markdown tables of the transfer studies written by transfer-studies.sh (surgical, LP/FT/LP-FT, label-free, transferability).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spearman } from '../../dist/src/transfer/transferability.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: tabulate-transfer.mjs OUT');
  process.exit(2);
}
const read = (name) => (existsSync(join(dir, `${name}.json`)) ? JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) : null);
const pct = (x) => (x ? `${(100 * x.mean).toFixed(1)} ± ${Number.isFinite(x.ci95) && x.ci95 !== null ? (100 * x.ci95).toFixed(1) : '–'}` : '–');
const seconds = new Map();
if (existsSync(join(dir, 'commands.log'))) {
  for (const line of readFileSync(join(dir, 'commands.log'), 'utf8').trim().split('\n')) {
    const [name, s] = line.split('\t');
    seconds.set(name, parseFloat(s));
  }
}
const out = [];
const row = (cells) => out.push(`| ${cells.join(' | ')} |`);

// surgical: block x shift, ID accuracy; the best per shift in bold
const shifts = ['corruption:gaussian_noise:5', 'label-permutation', 'subpopulation'];
const strategies = ['surgical:block1', 'surgical:block2', 'surgical:block3', 'surgical:block4', 'surgical:head', 'full'];
if (read(`surgical_${shifts[0].replaceAll(':', '-')}_${strategies[0].replaceAll(':', '-')}`)) {
  out.push('### Surgical fine-tuning (Fashion-MNIST): ID accuracy %, mean ± 95% CI over 3 seeds', '');
  row(['shift', ...strategies.map((s) => s.replace('surgical:', '')), 'wall-clock']);
  row(['---', ...strategies.map(() => '---:'), '---:']);
  for (const shift of shifts) {
    const cells = strategies.map((s) => read(`surgical_${shift.replaceAll(':', '-')}_${s.replaceAll(':', '-')}`));
    const best = Math.max(...cells.map((c) => (c ? c.id.mean : -1)));
    const secs = strategies.reduce((a, s) => a + (seconds.get(`surgical_${shift.replaceAll(':', '-')}_${s.replaceAll(':', '-')}`) ?? 0), 0);
    row([shift, ...cells.map((c) => (c ? (c.id.mean === best ? `**${pct(c.id)}**` : pct(c.id)) : '–')), `${secs.toFixed(0)} s`]);
  }
  out.push('', 'Chosen learning rates: ' + shifts.map((shift) => `${shift}: ` + strategies.map((s) => read(`surgical_${shift.replaceAll(':', '-')}_${s.replaceAll(':', '-')}`)?.lr ?? '–').join('/')).join('; '), '');
}

// LP vs FT vs LP-FT
if (read('lpft_full')) {
  out.push('### LP vs FT vs LP-FT (Omniglot-pretrained Conv-4 → MNIST): accuracy %, 3 seeds', '');
  row(['strategy', 'lr', 'ID (clean digits)', 'OOD (Gaussian noise, severity 3)', 'wall-clock']);
  row(['---', '---:', '---:', '---:', '---:']);
  for (const s of ['linear-probe', 'full', 'lp-ft']) {
    const r = read(`lpft_${s}`);
    if (r) row([s, r.lr, pct(r.id), pct(r.ood), `${(seconds.get(`lpft_${s}`) ?? 0).toFixed(0)} s`]);
  }
  out.push('');
}

// label-free pre-training
const sources = ['supervised', 'rotation', 'simclr', 'simclr-1alphabet', 'random'];
if (read('labelfree_supervised')) {
  out.push('### Label-free pre-training: linear probe on Omniglot\'s evaluation alphabets (659-way, 10 shots per character), 3 seeds', '');
  row(['source (1,500 steps on the background alphabets)', 'lr', 'test accuracy %', 'pre-training wall-clock', 'probe wall-clock']);
  row(['---', '---:', '---:', '---:', '---:']);
  for (const s of sources) {
    const r = read(`labelfree_${s}`);
    const src = s === 'random' ? 'src-random' : `src-omniglot-${s}`;
    if (r) row([s, r.lr, pct(r.id), `${(seconds.get(src) ?? 0).toFixed(0)} s`, `${(seconds.get(`labelfree_${s}`) ?? 0).toFixed(0)} s`]);
  }
  out.push('');
}

// transferability
const scores = read('transferability_scores');
if (scores) {
  const names = ['src-omniglot-supervised', 'src-omniglot-rotation', 'src-omniglot-simclr', 'src-omniglot-simclr-1alphabet', 'src-random', 'src-fmnist'];
  const metrics = ['leep', 'nce', 'logme', 'hscore'];
  out.push(`### Transferability on MNIST (${scores.examples} target examples) vs full fine-tuning accuracy (1,000 examples, 3 seeds)`, '');
  row(['source', ...metrics, 'fine-tuned accuracy %']);
  row(['---', ...metrics.map(() => '---:'), '---:']);
  const acc = [];
  for (const n of names) {
    const s = scores.rows.find((r) => r.name.endsWith(`/${n}`));
    const ft = read(`transferability_ft_${n}`);
    if (!s || !ft) continue;
    acc.push({ s, a: ft.id.mean });
    row([n.replace('src-', ''), ...metrics.map((m) => (typeof s[m] === 'number' ? s[m].toFixed(3) : '–')), pct(ft.id)]);
  }
  row(['**Spearman ρ**', ...metrics.map((m) => {
    const have = acc.filter((p) => typeof p.s[m] === 'number');
    const rho = spearman(have.map((p) => p.s[m]), have.map((p) => p.a));
    return rho === null ? '–' : `${rho.toFixed(2)} (n=${have.length})`;
  }), '']);
  out.push('');
}
process.stdout.write(`${out.join('\n')}\n`);
