// Keyless image signatures made by the real sigstore-js signer (@sigstore/sign) against
// @sigstore/mock's Fulcio, Rekor and TSA, served on 127.0.0.1 by this process for as long as it
// signs. cli/tests/sigstore_js.rs runs it and checks the bundles with Bona.
//
//   node server-and-sign.mjs OUTDIR
//
// Writes to OUTDIR:
//   trusted_root.json        the mock services' trust root (protobuf-specs TrustedRoot v0.1)
//   other_trusted_root.json  a second, unrelated mock Sigstore's trust root (same shape, other keys)
//   image.json               what was signed and by whom: digest, reference, identity, issuer
//   dsse.json, dsse-tsa.json bundles of a cosign v3 image signature (in-toto statement, predicate
//                            https://sigstore.dev/cosign/sign/v1, subject the image digest)
//   msg.json, msg-tsa.json   message-signature bundles over the cosign simple-signing payload
//   payload.json             that payload, byte for byte as signed
//   provenance.json          an SLSA v1 provenance attestation of the image (DSSE, timestamped)
// The *-tsa bundles also carry an RFC 3161 timestamp from the mock TSA.
//
// Exits 0 when everything is written; the server is closed before exiting either way.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import bundleLib from '@sigstore/bundle';
import mock from '@sigstore/mock';
import specs from '@sigstore/protobuf-specs';
import sign from '@sigstore/sign';

const out = process.argv[2];
if (!out) {
  console.error('usage: node server-and-sign.mjs OUTDIR');
  process.exit(2);
}

const IDENTITY = 'https://github.com/company/app/.github/workflows/release.yml@refs/tags/v1.0.0';
const ISSUER = 'https://token.actions.githubusercontent.com';
const REPOSITORY = 'registry.example.com/app';

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest();
const p256 = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

// Real Rekor keeps a canonical dsse/0.0.1 body (hashes of envelope and payload, the signatures
// with their verifier); the mock keeps the client's proposedContent as sent. Bona, like every
// verifier, checks the bundle against the body Rekor would have kept, so store that one.
function asRekorStoresIt(entry) {
  if (entry.kind !== 'dsse') return entry;
  const { envelope, verifiers } = entry.spec.proposedContent;
  const env = JSON.parse(envelope);
  const hex = (b) => sha256(b).toString('hex');
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: hex(Buffer.from(envelope)) },
      payloadHash: { algorithm: 'sha256', value: hex(Buffer.from(env.payload, 'base64')) },
      signatures: env.signatures.map((s) => ({ signature: s.sig, verifier: verifiers[0] })),
    },
  };
}

// The mock Fulcio answers with single-line PEM bodies; real Fulcio wraps base64 at 64 columns,
// and the client copies the PEM it got into its Rekor entry, so wrap it as Fulcio would.
function wrapPem(responseText) {
  const json = JSON.parse(responseText);
  const chain = json.signedCertificateEmbeddedSct?.chain;
  if (chain) {
    chain.certificates = chain.certificates.map((pem) => {
      const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
      return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
    });
  }
  return JSON.stringify(json);
}

// One mock Sigstore: its services' handlers and the trust root that describes them.
async function mockSigstore(url) {
  const validFor = { start: new Date(Date.now() - 60_000) };
  const [caKey, ctKey, logKey, tsaKey] = [p256(), p256(), p256(), p256()];
  const ctlog = await mock.initializeCTLog(ctKey);
  const ca = await mock.initializeCA(caKey, ctlog);
  const tlog = await mock.initializeTLog(url, logKey);
  const tsa = await mock.initializeTSA(tsaKey);
  const spki = (k) => k.publicKey.export({ type: 'spki', format: 'der' });
  const publicKey = (k) => ({
    rawBytes: spki(k),
    keyDetails: specs.PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
    validFor,
  });
  const authority = (commonName, certs) => ({
    subject: { organization: 'bona mock sigstore', commonName },
    uri: url,
    certChain: { certificates: certs.map((rawBytes) => ({ rawBytes })) },
    validFor,
  });
  const trustedRoot = specs.TrustedRoot.toJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: url, hashAlgorithm: specs.HashAlgorithm.SHA2_256, publicKey: publicKey(logKey),
      logId: { keyId: sha256(spki(logKey)) } }],
    ctlogs: [{ baseUrl: url, hashAlgorithm: specs.HashAlgorithm.SHA2_256, publicKey: publicKey(ctKey),
      logId: { keyId: ctlog.logID } }],
    certificateAuthorities: [authority('fulcio', [ca.rootCertificate])],
    // The TSA signs with its intermediate: chains in a trust root go leaf first, root last.
    timestampAuthorities: [authority('tsa', [tsa.intCertificate, tsa.rootCertificate])],
  });
  return {
    trustedRoot,
    handlers: [mock.fulcioHandler(ca), mock.rekorHandler(tlog), mock.tsaHandler(tsa)],
  };
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

// An unsigned (alg "none") OIDC token: the mock Fulcio decodes it without checking a signature.
// `sub` becomes the certificate's URI SAN, `iss` the issuer extensions, the rest GitHub's.
function oidcToken() {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [
    part({ alg: 'none', typ: 'JWT' }),
    part({ iss: ISSUER, sub: IDENTITY, aud: 'sigstore', iat: now, exp: now + 600,
      repository: 'company/app', ref: 'refs/tags/v1.0.0', sha: 'c0ffee'.repeat(6) + 'c0ff',
      workflow: 'release', event_name: 'push' }),
    '',
  ].join('.');
}

function save(name, bundle) {
  fs.writeFileSync(path.join(out, name), JSON.stringify(bundleLib.bundleToJSON(bundle), null, 2));
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
  let handlers = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const handler = handlers.find((h) => req.method === 'POST' && req.url === h.path);
        if (!handler) {
          res.writeHead(404).end('not found');
          return;
        }
        let body = Buffer.concat(chunks).toString();
        if (handler.path === '/api/v1/log/entries') body = JSON.stringify(asRekorStoresIt(JSON.parse(body)));
        const r = await handler.fn(body);
        let response = r.response;
        if (handler.path === '/api/v2/signingCert' && r.statusCode === 201) response = wrapPem(response);
        res.writeHead(r.statusCode, { 'Content-Type': r.contentType || 'text/plain' });
        res.end(typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    });
  });
  const port = await listen(server);
  try {
    const url = `http://127.0.0.1:${port}`;
    const world = await mockSigstore(url);
    handlers = world.handlers;
    fs.writeFileSync(path.join(out, 'trusted_root.json'), JSON.stringify(world.trustedRoot, null, 2));
    // Same services' URL, other keys: what a verifier with the wrong trust root holds.
    const other = await mockSigstore(url);
    fs.writeFileSync(path.join(out, 'other_trusted_root.json'), JSON.stringify(other.trustedRoot, null, 2));

    const digest = `sha256:${sha256(`bona sigstore-js cross-check ${Date.now()}`).toString('hex')}`;
    fs.writeFileSync(path.join(out, 'image.json'), JSON.stringify({
      digest, reference: `${REPOSITORY}@${digest}`, identity: IDENTITY, issuer: ISSUER,
    }, null, 2));

    const token = oidcToken();
    const signer = new sign.FulcioSigner({ fulcioBaseURL: url, identityProvider: { getToken: async () => token } });
    const rekor = new sign.RekorWitness({ rekorBaseURL: url });
    const tsa = new sign.TSAWitness({ tsaBaseURL: url });

    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: REPOSITORY, digest: { sha256: digest.slice('sha256:'.length) } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    };
    const artifact = { data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' };
    save('dsse.json', await new sign.DSSEBundleBuilder({ signer, witnesses: [rekor] }).create(artifact));
    save('dsse-tsa.json', await new sign.DSSEBundleBuilder({ signer, witnesses: [rekor, tsa] }).create(artifact));

    // An SLSA v1 build provenance attestation of the same image, as GitHub's
    // actions/attest-build-provenance writes it.
    const provenance = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: REPOSITORY, digest: { sha256: digest.slice('sha256:'.length) } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          buildType: 'https://actions.github.io/buildtypes/workflow/v1',
          externalParameters: {
            workflow: { ref: 'refs/tags/v1.0.0', repository: 'https://github.com/company/app', path: '.github/workflows/release.yml' },
          },
          resolvedDependencies: [{ uri: 'git+https://github.com/company/app@refs/tags/v1.0.0', digest: { gitCommit: 'c'.repeat(40) } }],
        },
        runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
      },
    };
    const attestation = { data: Buffer.from(JSON.stringify(provenance)), type: 'application/vnd.in-toto+json' };
    save('provenance.json', await new sign.DSSEBundleBuilder({ signer, witnesses: [rekor, tsa] }).create(attestation));

    // cosign's simple-signing payload, in the key order cosign writes it.
    const payload = Buffer.from(JSON.stringify({
      critical: {
        identity: { 'docker-reference': REPOSITORY },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }));
    fs.writeFileSync(path.join(out, 'payload.json'), payload);
    save('msg.json', await new sign.MessageSignatureBundleBuilder({ signer, witnesses: [rekor] }).create({ data: payload }));
    save('msg-tsa.json', await new sign.MessageSignatureBundleBuilder({ signer, witnesses: [rekor, tsa] }).create({ data: payload }));
    console.log(`signed ${digest} with the mock Sigstore on ${url}`);
  } finally {
    server.close();
    server.closeAllConnections?.();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
