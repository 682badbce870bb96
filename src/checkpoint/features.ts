// What `features` says about checkpoint/restore: the CRIU found (path, how, version)
// and whether it passed `criu check`, or why none works.
import { locateCriu } from './locate';

export async function checkpointAnnotations(explicit?: string): Promise<Record<string, string>> {
  try {
    const c = await locateCriu(explicit);
    return {
      'org.opencontainers.ocits.checkpoint.enabled': 'true',
      'org.opencontainers.ocits.checkpoint.criu': `${c.path} (${c.from}, version ${c.versionText}, criu check passed)`,
    };
  } catch (e) {
    return {
      'org.opencontainers.ocits.checkpoint.enabled': 'false',
      'org.opencontainers.ocits.checkpoint.criu': (e as Error).message,
    };
  }
}
