// Keys and tokens for tests/perf/bench-jwks.sh, with node's own crypto (no packages).
//
// usage: node mint-tokens.mjs DIR COUNT SUB UNIT SECRET_FILE
// Writes into DIR: jwks.json (three RSA 2048 keys, kids bench-1..3, public
// parts only), rs256.txt (COUNT RS256 tokens, one a line, signed in turn by
// the three keys and naming them by kid) and hs256.txt (COUNT HS256 tokens
// keyed with the secret in SECRET_FILE). Every token is for SUB, a caseworker
// of UNIT, valid for four hours, and distinct by its jti.
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, countText, sub, unit, secretFile] = process.argv.slice(2);
const count = Number(countText);
const secret = readFileSync(secretFile, 'utf8').replace(/[\r\n]+$/, '');
const b64url = (data) => Buffer.from(data).toString('base64url');
const now = Math.floor(Date.now() / 1000);

const keys = [1, 2, 3].map((n) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: `bench-${n}`, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid: `bench-${n}`, alg: 'RS256', use: 'sig' } };
});
writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: keys.map((k) => k.jwk) }));

const rs256 = [];
const hs256 = [];
for (let i = 0; i < count; i += 1) {
  const claims = b64url(JSON.stringify({ sub, role: 'caseworker', unit, iat: now, exp: now + 4 * 3600, jti: `t-${i}` }));
  const key = keys[i % keys.length];
  const rsInput = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: key.kid }))}.${claims}`;
  rs256.push(`${rsInput}.${b64url(sign('sha256', Buffer.from(rsInput), key.privateKey))}`);
  const hsInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${claims}`;
  hs256.push(`${hsInput}.${createHmac('sha256', secret).update(hsInput).digest('base64url')}`);
}
writeFileSync(join(dir, 'rs256.txt'), `${rs256.join('\n')}\n`);
writeFileSync(join(dir, 'hs256.txt'), `${hs256.join('\n')}\n`);
