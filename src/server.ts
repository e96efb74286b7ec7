/**
 * `callflow serve`: puts the parts together in one process, by role.
 *
 * - all (default): HTTP API and web app, flow runtime, delivery workers, status callbacks, and
 *   the built-in carrier simulator when no carrier is configured. Delivery (worker, carriers,
 *   callbacks, simulator) runs in a worker thread with its own store connection
 *   (`delivery.thread`, src/delivery/thread.ts), so HTTP and delivery each have a core.
 * - api: HTTP API, web app and flow runtime; messages wait in the outbox for a worker.
 * - worker: delivery workers and status callbacks against the shared PostgreSQL.
 *
 * Shutdown drains in order: stop accepting HTTP, stop claiming and finish or release what was
 * claimed, unbind the carriers, close the store.
 */

import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
} from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp } from './api/app.ts';
import { createAdminAuth } from './api/plugins/admin.ts';
import { loadSessionSecret } from './api/plugins/session.ts';
import { browserCallRoutes } from './api/routes/browser-calls.ts';
import { adminRoutes } from './api/routes/carriers.ts';
import { flowRoutes } from './api/routes/flows.ts';
import { healthRoutes } from './api/routes/health.ts';
import { metricsRoutes } from './api/routes/metrics.ts';
import { webAppDeps } from './api/routes/web.ts';
import type { Authenticator, SipReadiness } from './api/types.ts';
import { type AuthThrottle, createAuthThrottle } from './auth-throttle.ts';
import type { CarrierSimulator } from './carriers/index.ts';
import type { Carrier, CarrierStatus } from './carriers/types.ts';
import { type Config, ConfigError } from './config.ts';
import type { CarrierPool } from './delivery/carrier-pool.ts';
import { createSender } from './delivery/send.ts';
import { type DeliveryStack, startDelivery } from './delivery/stack.ts';
import { type DeliveryThread, startDeliveryThread } from './delivery/thread.ts';
import type { DeliveryWorker } from './delivery/worker.ts';
import { type DemoCredentials, seedDemo } from './demo.ts';
import { type BrowserCalls, createBrowserCalls } from './flows/browser-calls.ts';
import { createFlowService, type FlowService } from './flows/service.ts';
import { type SipCalls, startSipCalls } from './flows/sip-calls.ts';
import { createMetrics, reportAuthRefusal } from './metrics.ts';
import { openStore } from './store/index.ts';
import type { Store } from './store/types.ts';
import { mediaOffMessage, type StartedMedia, startMedia } from './telephony/media/index.ts';
import { recordingsDir } from './telephony/media/recording.ts';

export interface RunningServer {
  config: Config;
  store: Store;
  logger: Logger;
  /** Base URL of the HTTP server, when this role serves HTTP. */
  url: string | null;
  app: FastifyInstance | null;
  /** The built-in carrier simulator, when delivery runs on this event loop without carriers. */
  simulator: CarrierSimulator | null;
  /** The built-in simulator's port on loopback, wherever it runs; null when carriers are set. */
  simulatorPort: number | null;
  /**
   * This process's carrier binds (draining ones included), as they are now, when delivery runs
   * on this event loop; none when it runs in a delivery thread.
   */
  readonly carriers: Carrier[];
  /** The carriers and routes managed while running, when delivery runs on this event loop. */
  pool: CarrierPool | null;
  /** The delivery worker, when it runs on this event loop. */
  worker: DeliveryWorker | null;
  /** The delivery thread (`delivery.thread`), when delivery runs in one. */
  deliveryThread: DeliveryThread | null;
  flows: FlowService | null;
  demo: DemoCredentials | null;
  /** Real calls, when SIP is on in this process. */
  sip: RunningSip | null;
  stop(): Promise<void>;
}

export interface RunningSip {
  calls: SipCalls;
  /** The Builder's test calls from the browser, through the same media engine. */
  browser: BrowserCalls;
  media: StartedMedia;
  /** Host and port SIP listens on, UDP and TCP. */
  host: string;
  port: number;
}

/**
 * SIP and its media engine. The demo (`npm start`) takes calls from this machine (a loopback trunk,
 * when no trunk is configured) and moves to a free port when the default one is taken.
 */
async function startSip(
  config: Config,
  flows: FlowService,
  logger: Logger,
  demo: boolean,
  authThrottle: AuthThrottle,
): Promise<RunningSip> {
  const sipLogger = logger.child({ part: 'sip' });
  const sipConfig =
    demo && config.sip.trunks.length === 0
      ? {
          ...config.sip,
          trunks: [{ name: 'loopback', addresses: ['127.0.0.1', '::1'], defaultRegion: 'IN' }],
        }
      : config.sip;
  const media = await startMedia({
    sip: config.sip,
    dataDir: config.dataDir,
    outboundPolicy: config.callbacks,
    logger: logger.child({ part: 'media' }),
  });
  const start = (port: number) =>
    startSipCalls({
      sip: { ...sipConfig, port },
      flows,
      media,
      tts: media.tts,
      prompts: media.prompts,
      dataDir: config.dataDir,
      recordings: config.recordings,
      logger: sipLogger,
      authThrottle,
    });
  let calls: SipCalls;
  try {
    calls = await start(sipConfig.port).catch((error: unknown) => {
      if (demo && (error as { code?: unknown }).code === 'EADDRINUSE') return start(0);
      throw error;
    });
  } catch (error) {
    await media.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new ConfigError(
        `SIP cannot listen on ${config.sip.host}:${config.sip.port} (${String(code)}): set sip.port (or SIP_PORT; 0 picks a free port), or sip.enabled false`,
      );
    }
    throw error;
  }
  const off = mediaOffMessage(media);
  sipLogger.info(
    { host: config.sip.host, port: calls.endpoint.port, realCalls: off === undefined },
    off === undefined ? 'SIP listening, real calls on' : `SIP listening; ${off}`,
  );
  const browser = createBrowserCalls({
    sip: sipConfig,
    flows,
    media,
    tts: media.tts,
    prompts: media.prompts,
    dialing: calls.dialing,
    logger: logger.child({ part: 'browser-calls' }),
  });
  return { calls, browser, media, host: config.sip.host, port: calls.endpoint.port };
}

function sipReadiness(sip: RunningSip): SipReadiness {
  const off = mediaOffMessage(sip.media);
  return {
    listening: `sip:${sip.host.includes(':') ? `[${sip.host}]` : sip.host}:${sip.port}`,
    realCalls: off === undefined,
    ...(off === undefined ? {} : { reason: off }),
  };
}

function listeningUrl(app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export interface StartOptions {
  /** Seed the demo account, registry and flow (once) and print its credentials. */
  demo?: boolean;
  logger?: Logger;
  /** More routes on the same app (tests). */
  extraRoutes?: FastifyPluginAsync[];
}

export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const role = config.role ?? 'all';
  const logger = options.logger ?? pino({ level: config.logLevel, name: 'callflow' });
  const clock = () => new Date();
  if (config.databaseUrl === undefined) mkdirSync(config.dataDir, { recursive: true });
  const store = await openStore(
    config.databaseUrl !== undefined
      ? {
          databaseUrl: config.databaseUrl,
          ...(config.databaseSchema !== undefined && { schema: config.databaseSchema }),
        }
      : { dataDir: config.dataDir },
  );

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
  };

  try {
    const demo = options.demo ? await seedDemo(store, { dataDir: config.dataDir }) : null;

    // Delivery: in a worker thread of its own (the default), or on this event loop. Either way
    // the carriers and routes are the file's, with the changes made while running over them
    // (delivery/carrier-state.ts), and the built-in simulator on loopback when there are none.
    const delivers = role === 'all' || role === 'worker';
    let stack: DeliveryStack | null = null;
    let thread: DeliveryThread | null = null;
    const carrierStates = (which: 'all' | 'active'): CarrierStatus[] => {
      if (thread !== null) return which === 'all' ? thread.carriers() : thread.activeCarriers();
      if (stack === null) return [];
      return (which === 'all' ? stack.pool.all() : stack.pool.active()).map((c) => c.status());
    };

    // One registry per process: the worker, callbacks and flows feed it; /metrics reads it.
    const metrics = createMetrics({
      store,
      carriers: () => carrierStates('all'),
      sync: async () => thread?.sync(),
      clock,
    });

    // Each component gets its section of the validated configuration whole; the `callbacks`
    // section is also the outbound policy of sendSms's accept-time check and of Passthru.
    const sender = createSender({
      store,
      clock,
      logger,
      config: config.delivery,
      sms: config.sms,
      outbound: config.callbacks,
    });

    if (delivers && config.delivery.thread) {
      const started = await startDeliveryThread({ config, logger, metrics });
      thread = started;
      stops.push(() => started.stop());
    } else if (delivers) {
      const started = await startDelivery({ config, store, logger, metrics, clock });
      stack = started;
      stops.push(() => started.stop());
    }
    // What the admin API reads of the carriers this process runs, and how it applies a change.
    const control: Pick<CarrierPool, 'views' | 'sync'> | null =
      thread !== null
        ? { views: () => thread!.views(), sync: () => thread!.syncCarriers() }
        : (stack?.pool ?? null);

    // Real calls, started below with the flow service (role all or api).
    let sip: RunningSip | null = null;

    // Ready when every carrier of this process is bound (a process without carriers always is).
    // Real calls being off (no rtpengine) is reported, not counted against readiness: SMS works.
    const readiness = async () => {
      await thread?.sync();
      const states = carrierStates('active');
      return {
        ready: states.every((s) => s.state === 'bound'),
        carriers: states.map((s) => ({ name: s.name, state: s.state, ready: s.state === 'bound' })),
        ...(sip === null ? {} : { sip: sipReadiness(sip) }),
      };
    };

    let app: FastifyInstance | null = null;
    let url: string | null = null;
    let flows: FlowService | null = null;
    if (role === 'all' || role === 'api') {
      flows = createFlowService({
        store,
        sendSms: (accountSid, request, origin) => sender.handOver(accountSid, request, origin),
        clock,
        config: config.flows,
        outbound: config.callbacks,
        onError: (error, context) =>
          logger.error({ err: error, ...context }, 'could not save a call log'),
        onCallEnded: ({ flowId }) => metrics.callCompleted(flowId),
      });
      // Calls in progress finish (their logs are saved) before the store closes.
      stops.push(() => flows!.drain());
      // One throttle for every surface that checks a credential in this process.
      const authThrottle = createAuthThrottle({
        config: config.authThrottle,
        onRefused: reportAuthRefusal({ metrics, log: logger.child({ part: 'auth' }) }),
      });
      if (config.sip.enabled) {
        sip = await startSip(config, flows, logger, options.demo === true, authThrottle);
        const running = sip;
        // Stops run in reverse: calls get their BYE, then the media engine stops.
        stops.push(() => running.media.close());
        stops.push(() => running.calls.close());
        stops.push(() => running.browser.close());
      }
      const web = webAppDeps({
        store,
        sessionSecret: loadSessionSecret({ dataDir: config.dataDir }),
        authThrottle,
      });
      const authenticators: Authenticator[] = [...web.authenticators];
      const admin = adminRoutes({
        store,
        file: config,
        auth: createAdminAuth({
          store,
          secret: loadSessionSecret({ dataDir: config.dataDir }),
          now: () => clock().getTime(),
        }),
        ...(control && { control }),
        clock,
        authThrottle,
      });
      app = await buildApp({
        store,
        sender,
        clock,
        metrics,
        loggerInstance: logger.child({ part: 'http' }),
        config: config.api,
        authenticators,
        authThrottle,
        extraRoutes: [
          flowRoutes({ service: flows, store, recordingsDir: recordingsDir(config.dataDir) }),
          admin,
          browserCallRoutes({ browserCalls: sip?.browser ?? null }),
          ...web.extraRoutes,
          ...(options.extraRoutes ?? []),
        ],
        readiness,
      });
      await app.listen({ port: config.port, host: config.host });
      url = listeningUrl(app);
      // Closing HTTP comes first on shutdown: no new messages while the workers drain.
      stops.push(() => app!.close());
    } else {
      // A worker serves only its health and metrics, for orchestrators and Prometheus.
      const ops: FastifyInstance = Fastify({
        loggerInstance: logger.child({ part: 'http' }) as FastifyBaseLogger,
      });
      await ops.register(healthRoutes, { store, readiness });
      await ops.register(metricsRoutes(metrics));
      await ops.listen({ port: config.port, host: config.host });
      url = listeningUrl(ops);
      stops.push(() => ops.close());
    }

    return {
      config,
      store,
      logger,
      url,
      app,
      simulator: stack?.simulator ?? null,
      simulatorPort: stack?.simulatorPort ?? thread?.simulatorPort ?? null,
      get carriers() {
        return stack ? [...stack.pool.all()] : [];
      },
      pool: stack?.pool ?? null,
      worker: stack?.worker ?? null,
      deliveryThread: thread,
      flows,
      demo,
      sip,
      async stop() {
        await stopAll();
        await store.close();
      },
    };
  } catch (error) {
    await stopAll();
    await store.close();
    throw error;
  }
}
