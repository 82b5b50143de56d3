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
  await writeFile(join(dist, 'widget.js'), '(function(){})();');
  await writeFile(join(dist, 'assets', 'demo-1234.js'), 'console.log(1)');
  ({ app } = buildGateway({ chatServiceUrl: 'http://127.0.0.1:9', overrides: { webDistDir: dist } }));
});

describe('the embeddable widget and its demo host page', () => {
  it('serves /widget.js as JavaScript that other sites may load and that browsers revalidate', async () => {
    const res = await request(app).get('/widget.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.text).toBe('(function(){})();');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('keeps same-origin resource policy for everything else', async () => {
    const res = await request(app).get('/assets/demo-1234.js');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
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
