// Writes openapi.yaml, the API's contract, from the route schemas of the real application
// (`npm run openapi`). tests/http/openapi.test.ts fails when the committed file is out of date.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { startService } from '../src/service.ts';

export const OPENAPI_FILE = new URL('../openapi.yaml', import.meta.url);

export async function openapiYaml(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'memgrade-openapi-'));
  const config = loadConfig({ MEMGRADE_DATA_DIR: dataDir, MEMGRADE_POOL_SIZE: '1' });
  const service = await startService(config, createLogger('silent'));
  try {
    return service.app.swagger({ yaml: true });
  } finally {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(OPENAPI_FILE, await openapiYaml());
  process.stdout.write(`wrote ${OPENAPI_FILE.pathname}\n`);
}
