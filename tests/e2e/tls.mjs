// SPDX-License-Identifier: LGPL-2.1-or-later
//
// HTTPS in tests: a throw-away CA and a server certificate it signed, made
// with openssl in the test's temp dir, and a headless Chromium that trusts
// that CA (and nothing else extra) — for an element's embedded server with
// cert-file/key-file, or any https endpoint a test runs.
//
//   const ca = testCa(defer);                     // IP:198.18.0.1 + DNS:camera.test
//   `webrtclivesrc cert-file=${ca.cert} key-file=${ca.key} address=198.18.0.1 ...`
//   const browser = await launchTrustingBrowser(defer, ca);
//   await page.goto(`https://198.18.0.1:${port}/publish.html`);
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, log, until } from './lib.mjs';

// The namespace's NIC-like address (tools/run-tests.sh): not loopback, so a
// page there is a secure context only over https.
export const NIC_ADDRESS = '198.18.0.1';

const openssl = (args, cwd) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

// {dir, ca (CA certificate PEM path), cert (the leaf followed by the CA, as a
// server sends its chain), key (the leaf's key), otherKey (a valid key of
// another certificate), caSpki (base64 SHA-256 of the CA's
// SubjectPublicKeyInfo, for --ignore-certificate-errors-spki-list)}.
// EC P-256 keys, valid for a day.
export function testCa(defer, { ip = NIC_ADDRESS, dns = 'camera.test' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-ca-'));
  defer(async () => rmSync(dir, { recursive: true, force: true }));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=webrtclive test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  openssl(['req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${dns}`], dir);
  writeFileSync(join(dir, 'leaf.ext'),
    `subjectAltName=IP:${ip},DNS:${dns}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
    '-out', 'leaf.pem', '-extfile', 'leaf.ext'], dir);
  writeFileSync(join(dir, 'chain.pem'), readFileSync(join(dir, 'leaf.pem'), 'utf8') + readFileSync(join(dir, 'ca.pem'), 'utf8'));
  const spki = new X509Certificate(readFileSync(join(dir, 'ca.pem'))).publicKey.export({ type: 'spki', format: 'der' });
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'chain.pem'),
    key: join(dir, 'leaf.key'),
    otherKey: join(dir, 'ca.key'),
    caSpki: createHash('sha256').update(spki).digest('base64'),
  };
}

// A fresh veth's IPv6 duplicate-address detection ends ~1.5 s after the
// namespace starts; a Chromium page load during it can fail with
// ERR_NETWORK_CHANGED. Resolves once no address is tentative.
export async function ipv6Settled() {
  const t0 = Date.now();
  await until('IPv6 duplicate-address detection to end',
    () => !execFileSync('ip', ['-6', 'addr', 'show', 'tentative'], { encoding: 'utf8' }).trim(), 10000, 100);
  if (Date.now() - t0 > 200) log(`waited ${Date.now() - t0} ms for IPv6 DAD`);
}

// Headless Chromium trusting certificates signed by `ca` (testCa), closed by
// `defer`.
export async function launchTrustingBrowser(defer, ca, { args = [] } = {}) {
  await ipv6Settled();
  const browser = await launchBrowser({ args: [`--ignore-certificate-errors-spki-list=${ca.caSpki}`, ...args] });
  defer(() => browser.close());
  return browser;
}
