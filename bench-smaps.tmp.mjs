import { readFileSync } from 'node:fs';
const set = process.argv[2] ? process.argv[2].split(' ') : [];
for (const m of set) await import(m);
await new Promise(r=>setTimeout(r,300)); gc(); gc(); await new Promise(r=>setTimeout(r,300));
const txt = readFileSync('/proc/self/smaps', 'utf8').split('\n');
let cur = null; const agg = {};
for (const l of txt) {
  const h = l.match(/^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/);
  if (h) { cur = h[2] ? (h[2].includes('node') ? 'node-binary' : h[2]) : `anon ${h[1]}`; continue; }
  const r = l.match(/^Rss:\s+(\d+) kB/);
  if (r && cur) agg[cur] = (agg[cur] ?? 0) + Number(r[1]);
}
const tot = Object.values(agg).reduce((a,b)=>a+b,0);
console.log(set.join(' ') || '(none)', 'total MiB', (tot/1024).toFixed(1), Object.entries(agg).filter(([,v])=>v>500).sort((a,b)=>b[1]-a[1]).map(([k,v])=>`${k}=${(v/1024).toFixed(1)}`).join(' | '));
