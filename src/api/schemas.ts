/**
 * TypeBox building blocks shared by the routes. Nullable and enum values are written as plain
 * JSON Schema (`type: ['string', 'null']`, `enum`) rather than `anyOf`, which keeps both the
 * OpenAPI 3.1 document readable and the response serializer on its fast path.
 */

import { type TSchema, type TUnsafe, Type } from 'typebox';
import { REASON_CODES } from '../errors.ts';
import { SMS_TYPES } from '../store/types.ts';

export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export function NullableString(options: Record<string, unknown> = {}): TUnsafe<string | null> {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
}

export function NullableInteger(options: Record<string, unknown> = {}): TUnsafe<number | null> {
  return Type.Unsafe<number | null>({ type: ['integer', 'null'], ...options });
}

export { MESSAGE_STATUSES, SMS_TYPES } from '../store/types.ts';

export const SmsTypeSchema = StringEnum(SMS_TYPES, { description: 'DLT SMS type' });

export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = NullableString({ format: 'date-time' });

export const ReasonCodeSchema = StringEnum(REASON_CODES, { description: 'Stable reason code' });

export const EntityIdParam = Type.String({ description: 'DLT entity (PE) ID, 12 to 19 digits' });
export const TemplateIdParam = Type.String({ description: 'DLT template ID, 12 to 19 digits' });

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable reason code, see docs/errors.md' }),
    message: Type.String(),
    details: Type.Optional(
      Type.Unknown({
        description:
          'For VALIDATION_FAILED: [{ in, path, message }]; otherwise an object naming the field',
      }),
    ),
  },
  { title: 'Error' },
);

/** Every route documents the error body for client and server errors. */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export function ListOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item) });
}

export const NoContent = Type.Null({ description: 'No content' });
