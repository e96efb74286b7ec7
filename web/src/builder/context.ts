/** What panels inside the Builder share: the DLT registry and the account's rates. */

import { createContext, useContext } from 'react';
import type { Rates } from '../lib/account-api.ts';
import type { DltRegistry } from '../lib/dlt-api.ts';

export interface BuilderData {
  registry: DltRegistry;
  /** Paise per segment, by SMS type; null when the account could not be read. */
  rates: Rates | null;
  /** The server keeps grapheme clusters whole across parts (sms.splitGraphemes). */
  splitGraphemes: boolean;
}

export const BuilderDataContext = createContext<BuilderData>({
  registry: { entities: [], headers: [], templates: [], whitelist: [] },
  rates: null,
  splitGraphemes: false,
});

export function useBuilderData(): BuilderData {
  return useContext(BuilderDataContext);
}
