/**
 * The root component: asks whether the session is valid, shows the sign-in form when it is not,
 * and otherwise the app shell with the page the URL names.
 */

import { useEffect } from 'react';
import { Shell } from './components/Shell.tsx';
import { Toasts } from './components/Toasts.tsx';
import { Loading } from './components/ui.tsx';
import { navigate, useLocation } from './lib/router.ts';
import { refreshSession, useSession } from './lib/session.ts';
import { CarriersPage } from './pages/CarriersPage.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { resolveRoute } from './routes.tsx';

/** The operator's pages have their own sign-in (an admin key) and no account session. */
export function App() {
  const location = useLocation();
  if (location.pathname === '/operator/carriers') {
    return (
      <>
        <CarriersPage />
        <Toasts />
      </>
    );
  }
  return <AccountApp />;
}

function AccountApp() {
  const session = useSession();
  const location = useLocation();

  useEffect(() => {
    void refreshSession();
  }, []);

  // The URL says where the user is: /signin while signed out (remembering where they were going),
  // and back to that page once signed in.
  useEffect(() => {
    if (session.status === 'signed-out' && location.pathname !== '/signin') {
      const next =
        location.pathname === '/' ? '' : `?next=${encodeURIComponent(location.pathname)}`;
      navigate(`/signin${next}`, { replace: true });
    } else if (
      session.status === 'signed-in' &&
      (location.pathname === '/signin' || location.pathname === '/')
    ) {
      const next = location.search.get('next');
      navigate(next?.startsWith('/') ? next : '/flows', { replace: true });
    }
  }, [session.status, location.pathname, location.search]);

  if (session.status === 'loading') return <Loading label="Checking your session…" />;
  if (session.status === 'signed-out') {
    return (
      <>
        <SignIn />
        <Toasts />
      </>
    );
  }
  const page = resolveRoute(location.pathname);
  return (
    <Shell pathname={location.pathname} session={session.session}>
      {page}
      <Toasts />
    </Shell>
  );
}
