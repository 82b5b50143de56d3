import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../../test/harness.js';

// The UI routes through the whole app, so helmet's headers are the ones a browser gets.
let app: ReturnType<typeof buildGateway>['app'];

beforeAll(async () => {
  const dist = await mkdtemp(join(tmpdir(), 'parley-web-'));
  await mkdir(join(dist, 'assets'));
  await mkdir(join(dist, 'demo'));
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>Parley</title>');
  await writeFile(join(dist, 'demo', 'index.html'), '<!doctype html><title>Demo host</title><parley-chat></parley-chat>');
  await mkdir(join(dist, 'widget'));
  await writeFile(join(dist, 'widget.js'), 'import("./widget/panel-Ab12Cd34.js");');
  await writeFile(join(dist, 'widget', 'panel-Ab12Cd34.js'), 'export const panel = 1;');
  await writeFile(join(dist, 'assets', 'demo-1234.js'), 'console.log(1)');
  ({ app } = buildGateway({ chatServiceUrl: 'http://127.0.0.1:9', overrides: { webDistDir: dist } }));
});

describe('the embeddable widget and its demo host page', () => {
  it('serves /widget.js as a module script other sites may load (CORS, CORP) and browsers revalidate', async () => {
    const res = await request(app).get('/widget.js').set('Origin', 'https://shop.example');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.text).toBe('import("./widget/panel-Ab12Cd34.js");');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('serves the widget’s hashed chunks under /widget/ to other sites, cached for a year', async () => {
    const res = await request(app).get('/widget/panel-Ab12Cd34.js').set('Origin', 'https://shop.example');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.text).toBe('export const panel = 1;');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers a missing widget chunk with 404, not with the app page', async () => {
    const res = await request(app).get('/widget/panel-gone.js');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('<title>Parley</title>');
  });

  it('keeps same-origin resource policy and no CORS for everything else', async () => {
    const res = await request(app).get('/assets/demo-1234.js').set('Origin', 'https://shop.example');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the demo page at /demo/ under the same CSP as the app, and redirects /demo there', async () => {
    const page = await request(app).get('/demo/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>Demo host</title>');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const bare = await request(app).get('/demo');
    expect(bare.status).toBe(301);
    expect(bare.headers['location']).toBe('/demo/');
  });

  it('still answers other paths with the app, and the API with problems', async () => {
    expect((await request(app).get('/anything/else')).text).toContain('<title>Parley</title>');
    expect((await request(app).get('/api/v1/nope')).status).toBe(404);
  });
});

describe('a build without the widget', () => {
  it('answers /widget.js with 404 instead of the app page', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'parley-web-'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Parley</title>');
    const { app: bare } = buildGateway({ chatServiceUrl: 'http://127.0.0.1:9', overrides: { webDistDir: dist } });
    const res = await request(bare).get('/widget.js');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });
});
