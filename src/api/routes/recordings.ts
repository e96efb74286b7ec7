/**
 * GET /api/v1/calls/:sid/recording: the WAV of a call's recorded conversation (Connect with
 * `record: true` on a real call). Only the account that owns the call gets it; every other
 * account, like a call without a recording, gets 404.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CallflowError } from '../../errors.ts';
import { principal } from '../plugins/auth.ts';
import { errorResponses } from '../schemas.ts';
import type { FlowRouteDeps } from './flows.ts';

/** The file names finishRecording writes: a hash, never a path. */
const RECORDING_FILE = /^[0-9a-f]{32}\.wav$/;

export const recordingRoutes: FastifyPluginAsyncTypebox<FlowRouteDeps> = async (
  app,
  { service, recordingsDir },
) => {
  app.get(
    '/calls/:sid/recording',
    {
      schema: {
        tags: ['Calls'],
        summary: "The recording of a call's conversation (WAV, 8 kHz mono, both sides)",
        params: Type.Object({ sid: Type.String({ maxLength: 64 }) }),
        response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { sid } = request.params;
      const call = await service.getCall(principal(request).sid, sid);
      const file = recordingOf(call.log);
      const path = file && recordingsDir ? join(recordingsDir, file) : undefined;
      const info = path ? await stat(path).catch(() => undefined) : undefined;
      if (!path || !info?.isFile())
        throw new CallflowError('NOT_FOUND', `Call ${sid} has no recording.`);
      return reply
        .header('content-type', 'audio/wav')
        .header('content-length', String(info.size))
        .send(createReadStream(path));
    },
  );
};

/** The last recording a Connect step of the call's log names. */
function recordingOf(log: unknown): string | undefined {
  const steps = (log as { steps?: { detail?: { recording?: { file?: unknown } } }[] })?.steps;
  let found: string | undefined;
  for (const step of steps ?? []) {
    const file = step.detail?.recording?.file;
    if (typeof file === 'string' && RECORDING_FILE.test(file)) found = file;
  }
  return found;
}
