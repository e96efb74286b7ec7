/** What every route plugin is given by buildApp. */

import type { Sender } from '../../delivery/send.ts';
import type { Store } from '../../store/types.ts';
import type { ApiKeyAuth } from '../plugins/auth.ts';
import type { RegistryCache } from '../prechecks.ts';
import type { ReadinessProbe } from '../types.ts';

export interface RouteContext {
  store: Store;
  sender: Sender;
  clock: () => Date;
  registry: RegistryCache;
  apiKeys: ApiKeyAuth;
  readiness: ReadinessProbe | undefined;
  bulkBodyLimitBytes: number;
}
