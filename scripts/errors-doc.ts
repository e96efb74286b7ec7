// Regenerates docs/errors.md from the catalogue in src/errors.ts: `node scripts/errors-doc.ts > docs/errors.md`.
import { REASONS } from '../src/errors.ts';

const sections: Record<string, string> = {
  request: 'Requests',
  refusal: 'Refusals before sending',
  transient: 'Transient carrier trouble (retried)',
  carrier: 'Carrier and delivery outcomes',
  flow: 'Flow validation',
  lint: 'DLT template lint findings',
  media: 'Media (real calls)',
  internal: 'Internal',
};
let out = `# Reason codes

Every code callflow reports is listed here. The catalogue lives in \`src/errors.ts\`; a test fails when a code is
missing from this page or when this page lists a code that no longer exists.

A message that ends \`failed\`, \`undelivered\` or \`expired\` carries one of these codes as \`reasonCode\`. API
errors carry one as \`code\` in the body \`{ "code": ..., "message": ... }\`. The Exotel column is what the
Exotel-compatible API reports as Status / DetailedStatusCode / DetailedStatus.
`;
for (const [kind, title] of Object.entries(sections)) {
  out += `\n## ${title}\n\n| Code | HTTP | Meaning | Exotel |\n|---|---|---|---|\n`;
  for (const [code, def] of Object.entries(REASONS) as [string, any][]) {
    if (def.kind !== kind) continue;
    const ex = def.exotel
      ? `${def.exotel.status} / ${def.exotel.detailedStatusCode} / ${def.exotel.detailedStatus}`
      : '';
    out += `| \`${code}\` | ${def.httpStatus ?? ''} | ${def.meaning.replaceAll('|', '\\|')} | ${ex} |\n`;
  }
}
process.stdout.write(out);
