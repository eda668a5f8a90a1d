#!/usr/bin/env node
'use strict';
/**
 * Summarises a V8 .cpuprofile (as written by `node --cpu-prof`): top functions by self time,
 * and self time grouped by package / area.
 *
 *   node bench/cpu-profile-summary.js [file-or-dir=/tmp/bench-prof] [top=30]
 *
 * With a directory, the newest *.cpuprofile in it is used.
 */
const fs = require('node:fs');
const path = require('node:path');

const target = process.argv[2] || '/tmp/bench-prof';
const top = Number(process.argv[3] || 30);

function newestProfile(dir) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  return files[0];
}

const file = fs.statSync(target).isDirectory() ? newestProfile(target) : target;
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));

// Self time per node: samples are node ids, timeDeltas the gaps between them (microseconds).
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  const dt = profile.timeDeltas[i] || 0;
  selfUs.set(id, (selfUs.get(id) || 0) + dt);
}
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

function area(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native/builtin)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url.includes('/dist/')) return 'app (dist)';
  return url;
}

const byFunction = new Map();
const byArea = new Map();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) || 0;
  if (!us) continue;
  const cf = node.callFrame;
  const name = cf.functionName || '(anonymous)';
  const where = cf.url ? `${cf.url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '')}:${cf.lineNumber + 1}` : '';
  const key = `${name} ${where}`;
  byFunction.set(key, (byFunction.get(key) || 0) + us);
  const a = area(cf.url, name);
  byArea.set(a, (byArea.get(a) || 0) + us);
}

const pct = (us) => ((100 * us) / totalUs).toFixed(1).padStart(5) + '%';
const ms = (us) => (us / 1000).toFixed(0).padStart(7) + ' ms';
console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled, ${profile.samples.length} samples`);
console.log(`\nTop ${top} functions by self time`);
for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)} ${ms(us)}  ${key}`);
console.log('\nSelf time by package / area');
for (const [key, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(us)} ${ms(us)}  ${key}`);

// Who calls the heaviest functions: the most expensive call paths (5 frames up) of the top 8.
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children || []) parent.set(child, node);
const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
const frame = (n) => {
  const cf = n.callFrame;
  const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(process.cwd() + '/', '') : '';
  return `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
};
console.log('\nHeaviest call paths of the top functions (innermost first)');
const skip = new Set(['(idle)', '(garbage collector)', '(program)', '(root)']);
for (const [key] of [...byFunction].sort((a, b) => b[1] - a[1]).filter(([k]) => !skip.has(k.trim())).slice(0, 8)) {
  const paths = new Map();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) || 0;
    if (!us || `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url ? `${node.callFrame.url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '')}:${node.callFrame.lineNumber + 1}` : ''}` !== key) continue;
    const chain = [];
    for (let p = parent.get(node.id); p && chain.length < 6; p = parent.get(p.id)) chain.push(frame(p));
    const k = chain.join('\n          <- ');
    paths.set(k, (paths.get(k) || 0) + us);
  }
  console.log(`\n${key.trim()}`);
  for (const [k, us] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 2)) console.log(`  ${pct(us)}  <- ${k}`);
}
void nodeById;
