// Opens each localhost URL in headless Chromium, runs axe-core (WCAG 2.0/2.1 A and AA) and prints
// every violation. Last line: "N passed, M failed" (pages without / with violations). Exit 1 if M > 0.
// Started by ./check, after ./setup has installed Chromium, Node and the modules pinned in
// package-lock.json (into node_modules here).
'use strict';
const path = require('path');
const fs = require('fs');
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const USAGE = 'usage: check [--cookie name=value]... [--screenshot DIR] [--width PX] [--allow-4xx] URL...';

function fail(msg) {
  console.error(`a11y-check: ${msg}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { urls: [], cookies: [], screenshot: null, width: 1280 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--allow-4xx') { opts.allow4xx = true; continue; }
    let [flag, value] = argv[i].split(/=(.*)/s, 2);
    if (!flag.startsWith('--')) { opts.urls.push(argv[i]); continue; }
    if (value === undefined) {
      if (i + 1 >= argv.length) fail(`${flag} needs a value\n${USAGE}`);
      value = argv[++i];
    }
    if (flag === '--screenshot') opts.screenshot = value;
    else if (flag === '--cookie') {
      if (!/^[^=;\s]+=[^;]*$/.test(value)) fail(`--cookie wants name=value, got ${JSON.stringify(value)}`);
      opts.cookies.push(value);
    } else if (flag === '--width') {
      opts.width = Number(value);
      if (!Number.isInteger(opts.width) || opts.width < 200) fail(`--width wants pixels (>= 200), got ${value}`);
    } else fail(`unknown option ${flag}\n${USAGE}`);
  }
  return opts;
}

// Loopback only. The URL parser normalises hosts first (http://127.1 -> 127.0.0.1,
// http://LOCALHOST -> localhost), so exact matches are enough; "127.evil.example" is refused.
function isLoopback(u) {
  let url;
  try { url = u instanceof URL ? u : new URL(u); } catch { return false; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const h = url.hostname;
  return h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function screenshotName(i, url) {
  const u = new URL(url);
  const slug = (u.pathname + u.search).replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'root';
  return `${String(i + 1).padStart(2, '0')}-${slug.slice(0, 80)}.png`;
}

function withTimeout(ms, message, promise) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// One page for all URLs: a renderer that stays warm checks a page in well under a second,
// a fresh one per URL costs about a second more each (measured on 2 cores).
async function checkPage(page, url, i, opts, blocked) {
  blocked.clear();
  const started = Date.now();
  const secs = () => ((Date.now() - started) / 1000).toFixed(1) + ' s';
  const resp = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  const status = resp ? resp.status() : 0;
  // A screenshot is for people to look at, not part of the verdict: Chromium now and then answers
  // "Unable to capture screenshot" on a page that loaded fine (seen in CI), so try twice and say so.
  let shotNote = '';
  if (opts.screenshot) {
    const file = path.join(opts.screenshot, screenshotName(i, url));
    try {
      await page.screenshot({ path: file, fullPage: true });
    } catch (first) {
      try {
        await page.screenshot({ path: file, fullPage: true });
      } catch (err) {
        shotNote = `no screenshot: ${err.message.split('\n')[0]}`;
      }
    }
  }
  // An error page is checked only when asked (--allow-4xx): a mistyped URL must not pass quietly,
  // but 403/404/410/422 pages that people do see must be accessible too.
  if (status >= 500 || (status >= 400 && !opts.allow4xx)) {
    console.log(`FAIL ${url} (HTTP ${status}, ${secs()}): an error page, not checked`);
    return false;
  }
  // axe is in every frame already (addInitScript), so violations inside iframes count too.
  const result = await withTimeout(60000, 'axe did not finish within 60 s', page.evaluate(async (tags) => {
    if (!window.axe) throw new Error('axe-core is missing on this page (did the page replace window.axe?)');
    return window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'], // fewer node details for passes/incomplete: faster, same verdict
    });
  }, TAGS));
  const notes = [];
  // A login redirect would otherwise pass silently with the login page's result.
  if (page.url() !== new URL(url).href) notes.push(`redirected: checked ${page.url()} instead`);
  if (result.incomplete.length) notes.push(`check by hand: ${result.incomplete.map(r => r.id).join(', ')}`);
  if (shotNote) notes.push(shotNote);
  if (blocked.size) notes.push(`blocked ${blocked.size} non-localhost request(s), e.g. ${[...blocked][0]}`);
  const note = notes.length ? `\n     note: ${notes.join('; ')}` : '';
  const ran = result.passes.length + result.violations.length + result.incomplete.length;
  if (result.violations.length === 0) {
    console.log(`ok   ${url} (HTTP ${status}, ${ran} rules applied, ${secs()})${note}`);
    return true;
  }
  console.log(`FAIL ${url} (HTTP ${status}, ${secs()}): ${result.violations.length} rule(s) violated${note}`);
  for (const v of result.violations) {
    console.log(`  - ${v.id} [${v.impact}] ${v.help}`);
    // A target has one selector per frame (iframe >> element); shadow DOM nests (host >>> element).
    for (const n of v.nodes.slice(0, 10)) console.log(`      at ${n.target.map(t => [].concat(t).join(' >>> ')).join(' >> ')}`);
    if (v.nodes.length > 10) console.log(`      ... and ${v.nodes.length - 10} more`);
    console.log(`      ${v.helpUrl}`);
  }
  return false;
}

(async () => {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.urls.length === 0) fail(USAGE);
  const remote = opts.urls.filter(u => !isLoopback(u));
  if (remote.length) fail(`refused: only http(s) URLs on localhost, 127.x.x.x or [::1] are checked: ${remote.join(' ')}`);
  if (opts.screenshot) fs.mkdirSync(opts.screenshot, { recursive: true });

  const browser = await chromium.launch({
    executablePath: process.env.A11Y_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // A Dutch browser, as most respondents have: pages follow Accept-Language, and another
    // language is checked with the cookie the language switch sets (--cookie peiling_lang=en).
    const context = await browser.newContext({ viewport: { width: opts.width, height: 900 }, locale: 'nl-NL' });
    // Nothing leaves the machine: a page's request to another host (CDN font, analytics,
    // a redirect elsewhere) is aborted and reported.
    const blocked = new Set();
    await context.route(u => /^https?:$/.test(u.protocol) && !isLoopback(u), route => {
      blocked.add(route.request().url());
      return route.abort('blockedbyclient');
    });
    if (opts.cookies.length) {
      const origins = [...new Set(opts.urls.map(u => new URL(u).origin))];
      await context.addCookies(origins.flatMap(origin => opts.cookies.map(c => {
        const eq = c.indexOf('=');
        return { name: c.slice(0, eq), value: c.slice(eq + 1), url: origin + '/' };
      })));
    }
    // An init script, not addScriptTag: it runs in every frame, before the page's own scripts
    // (so an AMD loader cannot capture axe), and a strict Content-Security-Policy does not block it.
    await context.addInitScript(axeSource);
    let page = await context.newPage();
    let passed = 0, failed = 0;
    for (const [i, url] of opts.urls.entries()) {
      let ok = false;
      try {
        ok = await checkPage(page, url, i, opts, blocked);
      } catch (err) {
        console.log(`FAIL ${url}: ${err.message.split('\n')[0]}`);
        await page.close().catch(() => {});
        page = await context.newPage(); // a crashed or stuck page must not spoil the next URL
      }
      if (ok) passed++; else failed++;
    }
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  } finally {
    await browser.close();
  }
})().catch(err => { console.error(`a11y-check: ${err.stack || err}`); process.exit(2); });
