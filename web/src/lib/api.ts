/**
 * The web app's HTTP client. Requests carry the session cookie (same origin); a 401 on any call
 * signs the app out, so every page falls back to the sign-in form when the session lapses.
 */

export class ApiError extends Error {
  readonly status: number;
  /** The reason code from src/errors.ts, when the server sent one. */
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called whenever a request is refused with 401 (the session expired or was revoked). */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: keep the status line.
  }
  const record = (body ?? {}) as Record<string, unknown>;
  const inner = (
    typeof record.error === 'object' && record.error !== null ? record.error : record
  ) as Record<string, unknown>;
  const code = typeof inner.code === 'string' ? inner.code : `HTTP_${response.status}`;
  const message =
    typeof inner.message === 'string' ? inner.message : `${response.status} ${response.statusText}`;
  return new ApiError(response.status, code, message, inner.details ?? body);
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** A 401 from this call does not sign the app out (the sign-in form itself). */
  quiet401?: boolean;
  /** Raw body (FormData, CSV text) instead of JSON. */
  raw?: BodyInit;
  contentType?: string;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  // x-requested-with tells the server this is the web app: it then answers 401 without a Basic
  // challenge, which would make the browser open its own password dialog.
  const headers: Record<string, string> = {
    accept: 'application/json',
    'x-requested-with': 'callflow-web',
  };
  let payload: BodyInit | undefined;
  if (options.raw !== undefined) {
    payload = options.raw;
    if (options.contentType) headers['content-type'] = options.contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (payload !== undefined) init.body = payload;
  if (options.signal) init.signal = options.signal;
  const response = await fetch(path, init);
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.quiet401)
      for (const listener of unauthorizedListeners) listener();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) return (await response.json()) as T;
  return (await response.text()) as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, body, options),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PUT', path, body, options),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PATCH', path, body, options),
  delete: <T>(path: string, options?: RequestOptions) =>
    request<T>('DELETE', path, undefined, options),
};

/** `?a=1&b=2` from an object, skipping empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
