// What the browser tests share: their arguments, TAP-like checks, psql on the server's database
// (the PG* environment) and headless Chromium (Debian's /usr/bin/chromium, WebGL through
// SwiftShader) driven by playwright-core.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

// BASE_URL SCREENSHOT_DIR from the command line (usage and exit 2 without them)
export function args(script) {
  const [base, shots] = process.argv.slice(2);
  if (!base || !shots) {
    console.error(`usage: node ${script} BASE_URL SCREENSHOT_DIR`);
    process.exit(2);
  }
  mkdirSync(shots, { recursive: true });
  return { base, shots };
}

// the sample's key pond (a boundary, every category, directed and undirected lines): the tests
// find it by this name, its id from the API
export const KEY_POND_NAME = '干坝塘尾矿库';

export const tally = { passed: 0, failed: 0 };
export function check(desc, cond, detail = '') {
  if (cond) { tally.passed++; console.log(`ok - ${desc}`); }
  else { tally.failed++; console.log(`not ok - ${desc}${detail ? ` (${detail})` : ''}`); }
}

// one statement through psql: its rows, tab-separated, trimmed
export const sql = q => execFileSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-F', '\t', '-c', q],
  { encoding: 'utf8' }).trim();

export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-quic'],
});

// window.testPixels(base64 PNG) in every page of PAGE: the image decoded in the page, { width, height, px }
// (the map canvas as the user sees it, from a screenshot)
export const addTestPixels = page => page.addInitScript(() => {
  window.testPixels = async data => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return { width: c.width, height: c.height, px: g.getImageData(0, 0, c.width, c.height).data };
  };
});

// the summary line, and the exit status: 1 on any failed check (or when the run did not finish)
export function finish(ranToEnd = true) {
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed || !ranToEnd ? 1 : 0);
}

// the viewer's map has settled: style and tiles loaded, not moving, and a frame drawn after the last
// change (a layer hidden or filtered takes effect at the next frame, which SwiftShader on a busy
// machine can draw long after the change): a repaint is asked for and its 'idle' awaited
export async function settle(page) {
  await page.waitForFunction(() => {
    const v = window.tailingsViewer;
    return v && v.map.loaded() && v.map.areTilesLoaded() && !v.map.isMoving();
  }, null, { timeout: 30000 });
  await page.evaluate(() => new Promise(resolve => {
    const m = window.tailingsViewer.map;
    const timer = setTimeout(resolve, 10000);
    m.once('idle', () => { clearTimeout(timer); resolve(); });
    m.triggerRepaint();
  }));
  await page.waitForTimeout(100);
}
