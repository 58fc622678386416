// An exported archive read back with an independent reader, the `pmtiles` npm package (protomaps'
// own, at the version tileserver/package-lock.json pins; installed by make), and compared with what
// the tile server serves for the same area.  Used by tests/sh/export_pmtiles.sh.
//
//   node tests/lib/pmtiles_check.mjs ARCHIVE SERVER_URL W,S,E,N MINZOOM MAXZOOM [--dedup] [--leaves]
//
// W,S,E,N is the area the archive should cover (the test computes it from the database).  Checks:
// the header (version 3, MVT, gzip tiles and directories, clustered, zooms, bounds, centre, counts
// that agree with the directories); every tile the server serves for the area at each zoom is in
// the archive with the same bytes once decompressed, every tile the server answers 204 (empty) is
// absent; the archive holds no tile outside the area or the zooms; the metadata's vector_layers are
// the server's TileJSON's.  --dedup: fewer distinct tiles than tiles addressed; --leaves: the
// directory has leaf directories.  Prints "ok - …" / "not ok - …" and "N passed, N failed".
import { openSync, readSync, fstatSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const root = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const { PMTiles, tileIdToZxy, zxyToTileId } = await import(
  pathToFileURL(join(root, 'tileserver/node_modules/pmtiles/dist/esm/index.js')).href);

const [file, server, bboxArg, minArg, maxArg, ...flags] = process.argv.slice(2);
if (!file || !server || !bboxArg || minArg == null || maxArg == null) {
  console.error('usage: node pmtiles_check.mjs ARCHIVE SERVER_URL W,S,E,N MINZOOM MAXZOOM [--dedup] [--leaves]');
  process.exit(2);
}
const [W, S, E, N] = bboxArg.split(',').map(Number);
const minzoom = Number(minArg), maxzoom = Number(maxArg);

let passed = 0, failed = 0;
function check(desc, cond, detail = '') {
  if (cond) { passed++; console.log(`ok - ${desc}`); } else { failed++; console.log(`not ok - ${desc}${detail ? ` (${detail})` : ''}`); }
}

// the archive read from the file by byte ranges, as the browser's FileSource reads a chosen file
class FileRangeSource {
  constructor(path) { this.fd = openSync(path, 'r'); this.size = fstatSync(this.fd).size; this.path = path; }
  getKey() { return this.path; }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(Math.max(0, Math.min(length, this.size - offset)));
    readSync(this.fd, buf, 0, buf.length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) };
  }
}
const source = new FileRangeSource(file);
const p = new PMTiles(source);
const h = await p.getHeader();

// the tiles of zoom z covering the box: tile_cover() of tilemath.c (a point on a tile line is in the east or south tile)
function cover(z) {
  const n = 2 ** z, lim = 85.0511287798066;
  const fx = lon => (lon + 180) / 360 * n;
  const fy = lat => { const r = Math.max(-lim, Math.min(lim, lat)) * Math.PI / 180; return (1 - Math.asinh(Math.tan(r)) / Math.PI) / 2 * n; };
  const c = v => Math.max(0, Math.min(n - 1, Math.floor(v)));
  return { x0: c(fx(W)), x1: c(fx(E)), y0: c(fy(N)), y1: c(fy(S)) };
}

// ---- the header
const near = (a, b) => Math.abs(a - b) <= 2e-7;
check('header: PMTiles version 3', h.specVersion === 3, `version ${h.specVersion}`);
check('header: MVT tiles, gzip-compressed; gzip directories and metadata; clustered',
  h.tileType === 1 && h.tileCompression === 2 && h.internalCompression === 2 && h.clustered === true,
  JSON.stringify({ t: h.tileType, tc: h.tileCompression, ic: h.internalCompression, c: h.clustered }));
check(`header: zooms ${minzoom}-${maxzoom}`, h.minZoom === minzoom && h.maxZoom === maxzoom, `${h.minZoom}-${h.maxZoom}`);
check('header: bounds are the area\'s', near(h.minLon, W) && near(h.minLat, S) && near(h.maxLon, E) && near(h.maxLat, N),
  `${h.minLon},${h.minLat},${h.maxLon},${h.maxLat} against ${bboxArg}`);
check('header: the centre within the bounds, its zoom within the zooms',
  h.centerLon >= h.minLon && h.centerLon <= h.maxLon && h.centerLat >= h.minLat && h.centerLat <= h.maxLat &&
  h.centerZoom >= minzoom && h.centerZoom <= maxzoom, `${h.centerLon},${h.centerLat} z${h.centerZoom}`);
check('header: the root directory within the first 16 KiB', h.rootDirectoryOffset + h.rootDirectoryLength <= 16384,
  `${h.rootDirectoryOffset}+${h.rootDirectoryLength}`);

// ---- the directories, decoded by the package: every entry, through the leaves
const entries = [];
let leaves = 0;
const rootDir = await p.cache.getDirectory(source, h.rootDirectoryOffset, h.rootDirectoryLength, h);
for (const e of rootDir) {
  if (e.runLength > 0) { entries.push(e); continue; }
  leaves++;
  for (const l of await p.cache.getDirectory(source, h.leafDirectoryOffset + e.offset, e.length, h)) {
    if (l.runLength === 0) { failed++; console.log('not ok - a leaf directory points at another leaf'); }
    entries.push(l);
  }
}
const ids = [];
for (const e of entries) for (let i = 0; i < e.runLength; i++) ids.push(e.tileId + i);
const distinct = new Set(entries.map(e => e.offset)).size;
check('header counts agree with the directories (addressed tiles, entries, distinct contents)',
  h.numAddressedTiles === ids.length && h.numTileEntries === entries.length && h.numTileContents === distinct,
  `header ${h.numAddressedTiles}/${h.numTileEntries}/${h.numTileContents}, directories ${ids.length}/${entries.length}/${distinct}`);
check('tile ids in increasing order, each once', ids.every((id, i) => i === 0 || id > ids[i - 1]));
check('tile data clustered: each entry right after the last new one, or back at an earlier tile', (() => {
  let end = 0;
  for (const e of entries) {
    if (e.offset === end) end += e.length;
    else if (e.offset > end) return false;
  }
  return end === h.tileDataLength;
})());
if (flags.includes('--leaves')) check('leaf directories are used', leaves > 0, `${leaves} leaves`);
console.log(`# ${ids.length} tiles addressed, ${entries.length} entries, ${distinct} distinct, ${leaves} leaf directories`);
if (flags.includes('--dedup'))
  check('deduplicated: fewer distinct tiles than tiles addressed, runs fewer than tiles',
    distinct < ids.length && entries.length < ids.length, `${distinct} distinct, ${entries.length} entries of ${ids.length}`);

// ---- nothing outside the area and the zooms
const covers = {};
for (let z = minzoom; z <= maxzoom; z++) covers[z] = cover(z);
const outside = ids.map(tileIdToZxy).filter(([z, x, y]) => {
  const c = covers[z];
  return !c || x < c.x0 || x > c.x1 || y < c.y0 || y > c.y1;
});
check('no tile outside the area or the zooms', outside.length === 0, outside.slice(0, 5).map(t => t.join('/')).join(' '));
check('the Hilbert ids of the package are the archive\'s: zxyToTileId(tileIdToZxy(id)) = id',
  ids.every(id => zxyToTileId(...tileIdToZxy(id)) === id));

// ---- every tile the server serves for the area, at each zoom
const wanted = [];
for (let z = minzoom; z <= maxzoom; z++) {
  const c = covers[z];
  for (let x = c.x0; x <= c.x1; x++) for (let y = c.y0; y <= c.y1; y++) wanted.push([z, x, y]);
}
let served = 0, same = 0, missing = [], differ = [], extra = [], errors = [];
async function one([z, x, y]) {
  const r = await fetch(`${server}/tiles/all/${z}/${x}/${y}.mvt`, { headers: { 'Accept-Encoding': 'identity' } });
  const body = Buffer.from(await r.arrayBuffer());
  const a = await p.getZxy(z, x, y);
  if (r.status === 200) {
    served++;
    if (!a) missing.push(`${z}/${x}/${y}`);
    else if (Buffer.compare(Buffer.from(a.data), body) === 0) same++;
    else differ.push(`${z}/${x}/${y}`);
  } else if (r.status === 204) {
    if (a) extra.push(`${z}/${x}/${y}`);
  } else errors.push(`${z}/${x}/${y}: ${r.status}`);
}
const queue = wanted.slice();
await Promise.all(Array.from({ length: 6 }, async () => { while (queue.length) await one(queue.shift()); }));
console.log(`# ${wanted.length} tiles over the area at zooms ${minzoom}-${maxzoom}: the server serves ${served}`);
check('the server answered every tile of the area (200 or 204)', errors.length === 0, errors.slice(0, 5).join(', '));
check('every tile the server serves for the area is in the archive', missing.length === 0 && served > 0,
  `${missing.length} missing: ${missing.slice(0, 5).join(' ')}`);
check('with the same bytes (decompressed)', differ.length === 0 && same === served, `${differ.length} differ: ${differ.slice(0, 5).join(' ')}`);
check('no tile the server finds empty (204) is in the archive', extra.length === 0, extra.slice(0, 5).join(' '));
check('the archive holds exactly the tiles the server serves', ids.length === served, `${ids.length} in the archive, ${served} served`);

// ---- the metadata
const meta = await p.getMetadata();
const tilejson = await (await fetch(`${server}/tiles/all.json`)).json();
check('metadata: vector_layers equal the server\'s TileJSON\'s', isDeepStrictEqual(meta.vector_layers, tilejson.vector_layers),
  `${JSON.stringify(meta.vector_layers)?.slice(0, 200)}`);
check('metadata: name, description, attribution', typeof meta.name === 'string' && meta.name.startsWith('Tailings One-Map: ') &&
  meta.description === tilejson.description && meta.attribution === tilejson.attribution, JSON.stringify({ name: meta.name }));
check('metadata: zooms, bounds and centre as the header says', meta.minzoom === minzoom && meta.maxzoom === maxzoom &&
  meta.bounds.length === 4 && near(meta.bounds[0], h.minLon) && near(meta.bounds[3], h.maxLat) && meta.center[2] === h.centerZoom,
  JSON.stringify({ minzoom: meta.minzoom, maxzoom: meta.maxzoom, bounds: meta.bounds, center: meta.center }));
const tj = await p.getTileJson('pmtiles://x');
check('the package\'s TileJSON of the archive: vector_layers and bounds', isDeepStrictEqual(tj.vector_layers, tilejson.vector_layers) &&
  near(tj.bounds[0], W) && near(tj.bounds[2], E));
console.log(`# metadata.tailings: area ${JSON.stringify(meta.tailings?.area)}, ${meta.tailings?.ponds?.length} ponds, exported at ${meta.tailings?.exported_at}, files ${meta.tailings?.files}`);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
