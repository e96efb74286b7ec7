/**
 * `callflow serve`: puts the parts together in one process, by role.
 *
 * - all (default): HTTP API and web app, flow runtime, delivery workers, status callbacks, and
 *   the built-in carrier simulator when no carrier is configured.
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
import { CarrierSimulator, createCarrier } from './carriers/index.ts';
import type { SmppCarrierConfig } from './carriers/smpp/config.ts';
import type { Carrier } from './carriers/types.ts';
import { type Config, ConfigError } from './config.ts';
import { type CallbackDispatcher, createCallbackDispatcher } from './delivery/callbacks.ts';
import { type CarrierPool, createCarrierPool } from './delivery/carrier-pool.ts';
import { loadInForce } from './delivery/carrier-state.ts';
import { createSender } from './delivery/send.ts';
import { createDeliveryWorker, type DeliveryWorker } from './delivery/worker.ts';
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
  simulator: CarrierSimulator | null;
  /** This process's carrier binds (draining ones included), as they are now. */
  readonly carriers: Carrier[];
  /** The carriers and routes managed while running; null in a process that delivers nothing. */
  pool: CarrierPool | null;
  worker: DeliveryWorker | null;
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

    // Carriers and routes: the file's, with the changes made while running over them
    // (delivery/carrier-state.ts); the built-in simulator on loopback when there are none.
    const inForce = await loadInForce(store, config);
    let simulator: CarrierSimulator | null = null;
    let pool: CarrierPool | null = null;
    const delivers = role === 'all' || role === 'worker';
    if (delivers) {
      const fixed: SmppCarrierConfig[] = [];
      if (inForce.carriers.length === 0) {
        simulator = new CarrierSimulator({
          ...config.simulator,
          outcomes: {
            delivered: config.simulator.deliveredRatio,
            undelivered: 1 - config.simulator.deliveredRatio,
          },
        });
        const { port } = await simulator.start();
        stops.push(() => simulator!.stop());
        logger.info({ port }, 'carrier simulator listening on loopback');
        fixed.push({
          name: 'simulator',
          host: '127.0.0.1',
          port,
          systemId: config.simulator.systemId,
          password: config.simulator.password,
          window: 50,
          segmentsPerSecond: 5000,
        });
      }
      pool = createCarrierPool({
        store,
        syncMs: config.delivery.carrierSyncMs,
        file: config,
        fixed,
        logger: logger.child({ part: 'carriers' }),
        // The carrier names itself on every line it logs (`carrier`); binding it here too would
        // write the key twice.
        createCarrier: (c) => createCarrier(c, { logger: logger.child({ part: 'carrier' }) }),
      });
    }
    const carriers = () => (pool ? [...pool.all()] : []);

    // One registry per process: the worker, callbacks and flows feed it; /metrics reads it.
    const metrics = createMetrics({
      store,
      carriers: () => carriers().map((c) => c.status()),
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

    // Delivery: the worker registers its receipt handler before the carriers bind, so no
    // receipt that arrives on a fresh bind goes unhandled.
    let worker: DeliveryWorker | null = null;
    let dispatcher: CallbackDispatcher | null = null;
    if (pool) {
      worker = createDeliveryWorker({
        store,
        carriers: pool,
        clock,
        logger: logger.child({ part: 'delivery' }),
        metrics,
        config: config.delivery,
        promotional: config.promotional,
        sms: config.sms,
      });
      dispatcher = createCallbackDispatcher({
        store,
        clock,
        logger: logger.child({ part: 'callbacks' }),
        metrics,
        config: config.callbacks,
      });
      await worker.start();
      await pool.start();
      // Stops run in reverse: the worker drains before the carriers unbind.
      const started = pool;
      stops.push(() => started.stop());
      stops.push(() => worker!.stop());
      await dispatcher.start();
      stops.push(() => dispatcher!.stop());
    }

    // Real calls, started below with the flow service (role all or api).
    let sip: RunningSip | null = null;

    // Ready when every carrier of this process is bound (a process without carriers always is).
    // Real calls being off (no rtpengine) is reported, not counted against readiness: SMS works.
    const readiness = async () => {
      const states = (pool?.active() ?? []).map((c) => c.status());
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
        ...(pool && { control: pool }),
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
      simulator,
      get carriers() {
        return carriers();
      },
      pool,
      worker,
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
