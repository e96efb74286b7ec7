/** Rotates the secret that signs status callbacks (X-Callflow-Signature); shown once. */

import { useState } from 'react';
import { ErrorAlert } from '../components/ui.tsx';
import { accountApi } from '../lib/account-api.ts';

export function WebhookSecretSection() {
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function rotate() {
    if (
      !window.confirm('Rotate the webhook secret? Callbacks are signed with the new one at once.')
    )
      return;
    setError(null);
    try {
      setSecret((await accountApi.rotateWebhookSecret()).webhookSecret);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section className="card" aria-labelledby="webhook-title">
      <h2 id="webhook-title">Webhook secret</h2>
      <p className="small muted">
        Status callbacks carry an HMAC-SHA256 signature made with this secret. It is shown only when
        it is created.
      </p>
      {secret ? (
        <div className="alert success" role="status">
          New secret: <code data-testid="webhook-secret">{secret}</code>
        </div>
      ) : null}
      <ErrorAlert error={error} />
      <button type="button" className="btn" onClick={() => void rotate()} style={{ marginTop: 8 }}>
        Rotate secret
      </button>
    </section>
  );
}
