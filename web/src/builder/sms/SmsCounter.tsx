/**
 * The live counter: characters, encoding, segments and the cost of one SMS, counted on the body
 * as it will be sent (variables replaced by example values as long as the real ones).
 */

import { useMemo } from 'react';
import { formatPaise } from '../../lib/format.ts';
import { useBuilderData } from '../context.ts';
import { inspectBody, withSampleValues } from './core.ts';

export function SmsCounter({
  body,
  smsType,
}: {
  body: string;
  smsType: 'transactional' | 'service' | 'promotional';
}) {
  const { rates, splitGraphemes } = useBuilderData();
  const { text, unknown } = useMemo(() => withSampleValues(body), [body]);
  const inspection = useMemo(() => inspectBody(text, splitGraphemes), [text, splitGraphemes]);
  const rate = rates?.[smsType];
  // What keeping grapheme clusters whole costs (or, when the server does, saves) on this text.
  const graphemeExtra = inspection.graphemeSegments - inspection.segments;
  const standardSegments = splitGraphemes ? inspectBody(text).segments : inspection.segments;
  return (
    <div className="sms-counter" id="sms-counter" aria-live="polite" data-testid="sms-counter">
      <span>
        <strong data-testid="sms-characters">{inspection.characters}</strong> characters
      </span>
      <span>
        <strong data-testid="sms-encoding">{inspection.encoding}</strong>
      </span>
      <span>
        <strong data-testid="sms-segments">{inspection.segments}</strong> segment
        {inspection.segments === 1 ? '' : 's'}
      </span>
      <span>
        {inspection.remaining} of {inspection.unitsPerSegment} left in the last
      </span>
      <span>
        {rate === undefined ? (
          'cost unknown'
        ) : (
          <>
            <strong data-testid="sms-cost">{formatPaise(rate * inspection.segments)}</strong> per
            SMS ({smsType})
          </>
        )}
      </span>
      {graphemeExtra > 0 ? (
        <span className="muted small" data-testid="sms-grapheme-split">
          Keeping every character whole across parts (sms.splitGraphemes) would take{' '}
          {inspection.graphemeSegments} segments
          {rate === undefined ? '' : `, ${formatPaise(rate * inspection.graphemeSegments)} per SMS`}
          .
        </span>
      ) : null}
      {splitGraphemes && standardSegments < inspection.segments ? (
        <span className="muted small" data-testid="sms-grapheme-split">
          Counted with every character kept whole (sms.splitGraphemes); the standard split would
          take {standardSegments} segment{standardSegments === 1 ? '' : 's'}.
        </span>
      ) : null}
      {unknown.length > 0 ? (
        <span className="muted small">
          Counted without {unknown.map((n) => `{${n}}`).join(', ')}, whose length is known only when
          the call runs.
        </span>
      ) : (
        <span className="muted small">Variables counted at their usual length.</span>
      )}
    </div>
  );
}
