/** The media layer's errors: a CallflowError whose code is one of the media reason codes. */

import { CallflowError } from '../../errors.ts';

export type MediaErrorCode =
  | 'NO_COMMON_CODEC'
  | 'MEDIA_UNAVAILABLE'
  | 'MEDIA_CONTROL_TIMEOUT'
  | 'MEDIA_REJECTED'
  | 'TTS_FAILED'
  | 'PROMPT_FETCH_FAILED'
  | 'PROMPT_NOT_AUDIO'
  | 'PROMPT_TOO_LARGE';

export class MediaError extends CallflowError {
  declare readonly code: MediaErrorCode;

  constructor(
    code: MediaErrorCode,
    message?: string,
    details?: Record<string, unknown>,
    cause?: unknown,
  ) {
    super(code, message, details);
    this.name = 'MediaError';
    if (cause !== undefined) this.cause = cause;
  }
}
