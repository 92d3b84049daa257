// Bearer tokens: how one is made and how it is known again. The store keeps digests only, so a
// leaked database gives no usable token; tokens carry 192 random bits, so a plain SHA-256
// digest is enough (a slow hash protects guessable secrets, not random ones).
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'mg_';

/** What a token's name may be, wherever one is made (the command line, POST /v1/tokens). */
export const TOKEN_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$';

/** A new token: "mg_" and 32 base64url characters (192 bits of randomness). */
export function newToken(): string {
  return `${PREFIX}${randomBytes(24).toString('base64url')}`;
}

/** The digest by which a token is stored and looked up: SHA-256, in hex. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
