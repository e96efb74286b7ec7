/**
 * `callflow accounts create --name N --balance RUPEES`, `accounts topup --sid S --amount RUPEES`,
 * `accounts list`: operator actions on the store named by the configuration (DATA_DIR or
 * DATABASE_URL, or --config FILE).
 */

import { createAccount, paiseToRupees, rupeesToPaise } from '../accounts.ts';
import { loadConfig } from '../config.ts';
import { CallflowError, coerceError } from '../errors.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { parse, UsageError } from './usage.ts';

async function withStore<T>(
  configFile: string | undefined,
  work: (store: Store) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ file: configFile });
  const store = await openStore({
    ...(config.databaseUrl !== undefined
      ? { databaseUrl: config.databaseUrl }
      : { dataDir: config.dataDir }),
  });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function amount(flag: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`give ${flag} RUPEES`);
  try {
    return rupeesToPaise(value);
  } catch (error) {
    throw new UsageError(coerceError(error).message);
  }
}

export async function accountsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    options: {
      name: { type: 'string' },
      balance: { type: 'string' },
      sid: { type: 'string' },
      amount: { type: 'string' },
      note: { type: 'string' },
      'time-zone': { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const print = (human: string, data: unknown) =>
    process.stdout.write(values.json ? `${JSON.stringify(data)}\n` : `${human}\n`);

  switch (sub) {
    case 'create': {
      if (!values.name) throw new UsageError('give --name NAME');
      const balancePaise = values.balance === undefined ? 0 : amount('--balance', values.balance);
      if (balancePaise < 0) throw new UsageError('--balance must not be negative');
      const created = await withStore(values.config, (store) =>
        createAccount(store, {
          name: values.name!,
          balancePaise,
          ...(values['time-zone'] !== undefined && { timeZone: values['time-zone'] }),
        }),
      );
      print(
        [
          `account  ${created.account.sid} (${created.account.name})`,
          `balance  ₹${paiseToRupees(created.account.balancePaise)}`,
          `api key  ${created.apiKey}`,
          `token    ${created.apiToken}   (shown once; keep it safe)`,
        ].join('\n'),
        {
          sid: created.account.sid,
          name: created.account.name,
          balancePaise: created.account.balancePaise,
          apiKey: created.apiKey,
          apiToken: created.apiToken,
        },
      );
      return 0;
    }
    case 'topup': {
      if (!values.sid) throw new UsageError('give --sid ACCOUNT_SID');
      const paise = amount('--amount', values.amount);
      if (paise === 0) throw new UsageError('--amount must not be zero');
      const entry = await withStore(values.config, async (store) => {
        if (!(await store.accounts.get(values.sid!))) {
          throw new CallflowError('NOT_FOUND', `no account ${values.sid}`);
        }
        return store.accounts.topup(values.sid!, paise, values.note ?? 'top-up');
      });
      print(`balance  ₹${paiseToRupees(entry.balanceAfterPaise)}`, {
        sid: values.sid,
        balancePaise: entry.balanceAfterPaise,
      });
      return 0;
    }
    case 'list': {
      const accounts = await withStore(values.config, (store) => store.accounts.list());
      print(
        accounts
          .map(
            (a) => `${a.sid.padEnd(28)} ₹${paiseToRupees(a.balancePaise).padStart(12)}  ${a.name}`,
          )
          .join('\n'),
        accounts.map((a) => ({ sid: a.sid, name: a.name, balancePaise: a.balancePaise })),
      );
      return 0;
    }
    default:
      throw new UsageError(`unknown subcommand '${sub ?? ''}' (expected create, topup or list)`);
  }
}
