/**
 * The cluster's own certificate authority and the API server's serving certificate, made on first
 * start and kept in the data dir (as one-node installers like k3s and kind do). TLS is what makes
 * kubectl send the admin token at all: clientcmd never attaches credentials to a plain-HTTP server.
 * Keys come from Node's crypto; node-forge only writes the X.509 certificates.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

export interface ServingCerts {
  /** PEM of the CA certificate clients trust */
  ca: string;
  /** PEM of the serving certificate and its key */
  cert: string;
  key: string;
}

const DAY = 24 * 60 * 60 * 1000;

function rsaKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function newCert(subjectCN: string, publicPem: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + days * DAY);
  cert.setSubject([{ name: 'commonName', value: subjectCN }]);
  return cert;
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/** The names a serving certificate covers: loopback, this host, and the address served. */
export function servingNames(host: string): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1', hostname(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc']);
  if (host && host !== '0.0.0.0' && host !== '::') names.add(host);
  return [...names];
}

function certCovers(pem: string, names: string[]): boolean {
  try {
    const x = new X509Certificate(pem);
    if (new Date(x.validTo).getTime() < Date.now() + 30 * DAY) return false;
    return names.every((n) => (isIp(n) ? x.checkIP(n) !== undefined : x.checkHost(n) !== undefined));
  } catch {
    return false;
  }
}

/**
 * Returns the CA and a serving certificate for `names` from `dir`, creating them when missing, and
 * renewing the serving certificate when it expires within 30 days or does not cover `names`.
 */
export function ensureServingCerts(dir: string, names: string[]): ServingCerts {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caCrt = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const crt = join(dir, 'apiserver.crt');
  const key = join(dir, 'apiserver.key');

  if (!existsSync(caCrt) || !existsSync(caKey)) {
    const keys = rsaKeys();
    const ca = newCert(`berth-ca-${Math.floor(Date.now() / 1000)}`, keys.publicPem, 3650);
    ca.setIssuer(ca.subject.attributes);
    ca.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    ca.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
    writeFileSync(caKey, keys.privatePem, { mode: 0o600 });
    writeFileSync(caCrt, forge.pki.certificateToPem(ca));
  }
  const caPem = readFileSync(caCrt, 'utf8');
  if (!existsSync(crt) || !existsSync(key) || !certCovers(readFileSync(crt, 'utf8'), names)) {
    const ca = forge.pki.certificateFromPem(caPem);
    const keys = rsaKeys();
    const cert = newCert('berth-apiserver', keys.publicPem, 365);
    cert.setIssuer(ca.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => (isIp(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    ]);
    cert.sign(forge.pki.privateKeyFromPem(readFileSync(caKey, 'utf8')), forge.md.sha256.create());
    writeFileSync(key, keys.privatePem, { mode: 0o600 });
    writeFileSync(crt, forge.pki.certificateToPem(cert));
  }
  return { ca: caPem, cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
}
