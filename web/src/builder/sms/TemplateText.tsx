/** A DLT template's content, its {#var#} placeholders set apart from the fixed text. */

const PLACEHOLDER = /\{#[a-z]+#\}/g;

export function TemplateText({ content, category }: { content: string; category?: string }) {
  const pieces: { text: string; variable: boolean }[] = [];
  let last = 0;
  for (const match of content.matchAll(PLACEHOLDER)) {
    if (match.index > last)
      pieces.push({ text: content.slice(last, match.index), variable: false });
    pieces.push({ text: match[0], variable: true });
    last = match.index + match[0].length;
  }
  if (last < content.length) pieces.push({ text: content.slice(last), variable: false });
  return (
    <figure className="template-text" aria-label="Template text">
      <blockquote data-testid="template-text">
        {pieces.map((p, i) =>
          p.variable ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: pieces are positional.
            <mark key={i} className="tpl-var">
              {p.text}
            </mark>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: pieces are positional.
            <span key={i}>{p.text}</span>
          ),
        )}
      </blockquote>
      {category ? <figcaption className="small muted">Category: {category}</figcaption> : null}
    </figure>
  );
}
