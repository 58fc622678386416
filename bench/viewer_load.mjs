// The viewer's first load, as a browser sees it: every request until the map has settled
// (style, sprite, glyphs, tiles, scripts), with the bytes on the wire (headers + encoded
// bodies), in headless Chromium with an empty cache.
//   node viewer_load.mjs BASE_URL [WIDTH HEIGHT]  -> one JSON line {requests, bytes, by_type}
import { chromium } from 'playwright-core';

const [base, w = '1280', h = '800'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: +w, height: +h }, locale: 'zh-CN' });
  const done = [];
  page.on('requestfinished', r => done.push(r));
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForFunction(() => {
    const v = window.tailingsViewer;
    return v && v.map && v.map.loaded() && v.map.areTilesLoaded() && !v.map.isMoving();
  }, null, { timeout: 60000 });
  await page.waitForTimeout(1500);   // late requests (labels' glyphs, icons) after the first idle
  let bytes = 0;
  const byType = {};
  for (const r of done) {
    const s = await r.sizes();
    const n = s.responseHeadersSize + s.responseBodySize;
    bytes += n;
    const type = new URL(r.url()).pathname.replace(/^\/(tiles|fonts|vendor)\/.*/, '/$1/…');
    byType[type] = (byType[type] || 0) + n;
  }
  console.log(JSON.stringify({ requests: done.length, bytes, by_type: byType }));
} finally {
  await browser.close();
}
