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
  const { rates } = useBuilderData();
  const { text, unknown } = useMemo(() => withSampleValues(body), [body]);
  const inspection = useMemo(() => inspectBody(text), [text]);
  const rate = rates?.[smsType];
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
