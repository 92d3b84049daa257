// `memgrade tokens add NAME --role student|instructor | list | revoke NAME`: the API's tokens,
// kept (as digests) in the same data store as the service's, which sees a change at its next
// request.
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config.ts';
import { openStore } from '../../store/index.ts';
import { newToken, TOKEN_NAME_PATTERN, tokenDigest } from '../../tokens.ts';
import { usageError } from '../usage.ts';

export const TOKENS_USAGE = `memgrade tokens add NAME --role student|instructor
memgrade tokens list
memgrade tokens revoke NAME

  add     makes a token and prints it alone on the last line: it is shown once, only its
          digest is kept. A student token submits and reads its own submissions; an
          instructor token reads every submission and uses the instructor routes.
  list    names, roles, creation and last use (never the tokens)
  revoke  the token stops working at once

The store is the service's: MEMGRADE_DATABASE_URL when set, else MEMGRADE_DATA_DIR (default ./data).`;

const NAME = new RegExp(TOKEN_NAME_PATTERN);

export async function tokensCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { role: { type: 'string' } } });
  const [action, name, ...rest] = positionals;
  if (rest.length > 0) usageError(`unexpected argument "${rest[0]}"`);
  const store = await openStore(loadConfig());
  try {
    switch (action) {
      case 'add': {
        if (name === undefined || !NAME.test(name)) usageError('tokens add needs a NAME: letters, digits, ".", "_", "@" or "-", at most 100');
        if (values.role !== 'student' && values.role !== 'instructor') usageError('--role must be student or instructor');
        const token = newToken();
        await store.addToken({ name, role: values.role, digest: tokenDigest(token) });
        process.stdout.write(`added ${values.role} token "${name}"; it is shown this once, only its digest is kept:\n${token}\n`);
        return 0;
      }
      case 'list': {
        if (name !== undefined) usageError(`unexpected argument "${name}"`);
        const rows = await store.listTokens();
        if (rows.length === 0) process.stdout.write('no tokens\n');
        for (const t of rows) process.stdout.write(`${t.name}\t${t.role}\tcreated ${t.createdAt}\tlast used ${t.lastUsedAt ?? 'never'}\n`);
        return 0;
      }
      case 'revoke': {
        if (name === undefined) usageError('tokens revoke needs a NAME');
        if (!(await store.revokeToken(name))) {
          process.stderr.write(`memgrade: no token named "${name}"\n`);
          return 2;
        }
        process.stdout.write(`revoked "${name}"\n`);
        return 0;
      }
      default:
        usageError(action === undefined ? 'tokens needs add, list or revoke' : `unknown tokens action "${action}"`);
    }
  } finally {
    await store.close();
  }
}
