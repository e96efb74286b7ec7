/**
 * The flow document's shape as a TypeBox schema: the API validates request bodies with it and the
 * validator checks it before anything else. Applet configs are checked against each applet's own
 * schema afterwards, so here `config` may be anything.
 */

import { Type } from 'typebox';

/** Applet IDs appear in variable names (`{book.phone}`), so no dots or braces. */
export const APPLET_ID_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';

export const FlowAppletSchema = Type.Object(
  {
    type: Type.String({ minLength: 1 }),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    config: Type.Optional(Type.Unknown()),
    /** Exit name → the ID of the next applet. */
    next: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** Shown on the Builder's canvas. */
    label: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const FlowDocumentSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    start: Type.String({ minLength: 1 }),
    applets: Type.Record(Type.String(), FlowAppletSchema),
    layout: Type.Optional(
      Type.Record(Type.String(), Type.Object({ x: Type.Number(), y: Type.Number() })),
    ),
  },
  { additionalProperties: false },
);
