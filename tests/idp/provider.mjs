// A real OpenID Connect provider (the npm package oidc-provider) for the HTTP
// tests: it listens on 127.0.0.1, issues RS256 JWT access tokens (typ at+jwt)
// to state systems by the OAuth 2.0 client credentials grant, with their
// roles in a nested claim, and publishes its keys at /jwks.
//
// usage: node provider.mjs CLIENTS_JSON
//   CLIENTS_JSON: [{"client_id", "client_secret", "roles": [...], "unit": "..."}]
// Prints one line {"issuer": URL} when it listens, then answers each command
// line on stdin with one JSON line on stdout:
//   add-key            a new signing key, published first and used from now on;
//                      the older keys stay published
//   drop-old-keys      publishes the newest key alone
//   jwks MODE [SECONDS]
//                      how /jwks answers: normal (as the provider does), down
//                      (closes the connection), error (500), garbage (200 and
//                      text that is not JSON), private (the keys with their
//                      private parts), weak (with a 512-bit RSA key), huge (over
//                      64 KB), deep (nested 50 levels), slow SECONDS (normal, late)
//   max-age N|none     the Cache-Control max-age of /jwks answers
//   stats              {"jwks_requests": N, "kids": [...]}
// It stops when stdin closes.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import readline from 'node:readline';

import Provider from 'oidc-provider';

// stdout carries the answers to commands alone; the provider's notices go to stderr.
for (const level of ['log', 'info', 'warn']) console[level] = console.error;

const RESOURCE = 'urn:casework';
const clients = JSON.parse(process.argv[2] || '[]');
const byId = new Map(clients.map((c) => [c.client_id, c]));

let keys = [newKey()];
let handler = null;
let issuer = null;
let jwksMode = 'normal';
let slowSeconds = 0;
let maxAge = null;
let jwksRequests = 0;

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

// A provider signing with the first key; made anew when the keys change.
function makeProvider() {
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    })),
    jwks: { keys },
    ttl: { ClientCredentials: 600 },
    cookies: { keys: [randomUUID()] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'casework',
          audience: RESOURCE,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    async extraTokenClaims(ctx, token) {
      const c = byId.get(token.clientId) || {};
      const claims = { casework: { roles: c.roles || [] } };
      if (c.unit) claims.org = { unit: c.unit };
      return claims;
    },
  });
  provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
  return provider.callback();
}

const publicKeys = () => keys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub);
const weakKey = () => ({
  ...generateKeyPairSync('rsa', { modulusLength: 512 }).publicKey.export({ format: 'jwk' }),
  kid: 'weak', alg: 'RS256', use: 'sig',
});
let deep = ['x'];
for (let i = 0; i < 50; i += 1) deep = [deep];

// The unusable answers a broken or compromised provider could give.
const badAnswers = {
  garbage: () => '<html>maintenance</html>',
  private: () => JSON.stringify({ keys }),
  weak: () => JSON.stringify({ keys: [...publicKeys(), weakKey()] }),
  huge: () => JSON.stringify({ keys: publicKeys(), padding: 'x'.repeat(70000) }),
  deep: () => JSON.stringify({ keys: [{ ...publicKeys()[0], x5c: deep }] }),
};

function serveJwks(req, res) {
  jwksRequests += 1;
  if (jwksMode === 'down') {
    req.socket.destroy();
    return true;
  }
  if (jwksMode === 'error') {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('internal error');
    return true;
  }
  if (badAnswers[jwksMode]) {
    res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' });
    res.end(badAnswers[jwksMode]());
    return true;
  }
  if (maxAge !== null) {
    const writeHead = res.writeHead;
    res.writeHead = function (...args) {
      this.setHeader('Cache-Control', `public, max-age=${maxAge}`);
      return writeHead.apply(this, args);
    };
  }
  return false;
}

const server = http.createServer((req, res) => {
  if (req.url.split('?')[0] === '/jwks') {
    if (serveJwks(req, res)) return;
    if (jwksMode === 'slow') {
      setTimeout(() => handler(req, res), slowSeconds * 1000);
      return;
    }
  }
  handler(req, res);
});

function answer(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function command(line) {
  const [name, arg, extra] = line.trim().split(/\s+/);
  if (name === 'add-key') {
    keys = [newKey(), ...keys];
    handler = makeProvider();
  } else if (name === 'drop-old-keys') {
    keys = keys.slice(0, 1);
    handler = makeProvider();
  } else if (name === 'jwks') {
    jwksMode = arg;
    slowSeconds = Number(extra || 0);
  } else if (name === 'max-age') {
    maxAge = arg === 'none' ? null : Number(arg);
  } else if (name !== 'stats') {
    answer({ error: `unknown command ${name}` });
    return;
  }
  answer({ jwks_requests: jwksRequests, kids: keys.map((k) => k.kid) });
}

server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  handler = makeProvider();
  answer({ issuer });
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', command);
  input.on('close', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
});
