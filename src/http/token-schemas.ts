// The shapes of /v1/me and /v1/tokens (routes/tokens.ts): who is calling, and the service's tokens
// as the API shows them, never the token itself but once, when it is made. A leaf module, so that
// schemas.ts can list these among the shared schemas.
import { Type, type Static } from '@sinclair/typebox';
import { TOKEN_NAME_PATTERN } from '../tokens.ts';

export const TokenRole = Type.Union([Type.Literal('student'), Type.Literal('instructor')], {
  description: 'a student token submits and reads its own submissions; an instructor token reads all and uses the instructor routes',
});

/** As `memgrade tokens add NAME` takes it (src/cli/commands/tokens.ts). */
const TokenName = Type.String({
  pattern: TOKEN_NAME_PATTERN,
  description: 'letters, digits, ".", "_", "@" or "-", at most 100; a student token files its submissions under it',
});

export const Caller = Type.Object(
  {
    role: TokenRole,
    name: Type.Union([Type.String(), Type.Null()], { description: "the token's name; null for a token of MEMGRADE_TOKENS and for the open service" }),
    open: Type.Boolean({ description: 'true when the call carried no token and the service answers without one (loopback, no token exists)' }),
  },
  { $id: 'Caller', additionalProperties: false },
);
export type Caller = Static<typeof Caller>;

export const TokenView = Type.Object(
  {
    name: Type.String(),
    role: TokenRole,
    created_at: Type.String({ format: 'date-time' }),
    last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'noted at most once a minute' }),
  },
  { $id: 'Token', additionalProperties: false, description: 'a token as the store keeps it: its name and role, never the token' },
);
export type TokenView = Static<typeof TokenView>;

export const TokenList = Type.Object({ items: Type.Array(Type.Ref(TokenView), { description: 'by name' }) }, { $id: 'TokenList', additionalProperties: false });

export const TokenRequest = Type.Object({ name: TokenName, role: TokenRole }, { $id: 'TokenRequest', additionalProperties: false });
export type TokenRequest = Static<typeof TokenRequest>;

export const TokenCreated = Type.Object(
  {
    name: Type.String(),
    role: TokenRole,
    created_at: Type.String({ format: 'date-time' }),
    token: Type.String({ description: 'the bearer token, shown this once: the service keeps only its SHA-256 digest' }),
  },
  { $id: 'TokenCreated', additionalProperties: false },
);

export const TokenNameParams = Type.Object({ name: TokenName }, { additionalProperties: false });
export type TokenNameParams = Static<typeof TokenNameParams>;

/** Listed in schemas.ts's sharedSchemas: components of openapi.yaml, referred to by $ref. */
export const tokenSchemas = [Caller, TokenView, TokenList, TokenRequest, TokenCreated];
