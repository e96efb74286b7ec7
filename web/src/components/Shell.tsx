/** The app frame: navigation on the left, the current page on the right. */

import type { MouseEvent, ReactNode } from 'react';
import { navigate } from '../lib/router.ts';
import { type SessionInfo, signOut } from '../lib/session.ts';

const NAV: { to: string; label: string }[] = [
  { to: '/flows', label: 'Flows' },
  { to: '/calls', label: 'Calls' },
  { to: '/sms', label: 'SMS' },
  { to: '/reports', label: 'Reports' },
  { to: '/dlt', label: 'DLT' },
  { to: '/dnd', label: 'DND' },
  { to: '/account', label: 'Account' },
];

/** An in-app link: plain navigation without a page load, but modifier-clicks still open tabs. */
export function Link({
  to,
  children,
  className,
  current,
}: {
  to: string;
  children: ReactNode;
  className?: string;
  /** Marks the link as the current page (aria-current). */
  current?: boolean;
}) {
  function onClick(event: MouseEvent<HTMLAnchorElement>) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
      return;
    event.preventDefault();
    navigate(to);
  }
  return (
    <a
      href={to}
      onClick={onClick}
      className={className}
      aria-current={current ? 'page' : undefined}
    >
      {children}
    </a>
  );
}

export function Shell({
  pathname,
  session,
  children,
}: {
  pathname: string;
  session: SessionInfo;
  children: ReactNode;
}) {
  return (
    <div className="shell">
      <nav className="nav" aria-label="Main">
        <div className="brand">
          call<span>flow</span>
        </div>
        {NAV.map((item) => {
          const current = pathname === item.to || pathname.startsWith(`${item.to}/`);
          return (
            <Link key={item.to} to={item.to} current={current}>
              {item.label}
            </Link>
          );
        })}
        <div className="account">
          <span title={session.account.sid}>{session.account.name}</span>
          <span className="muted mono">{session.account.sid}</span>
          <button className="btn small" type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </nav>
      <main className="main" id="main">
        {children}
      </main>
    </div>
  );
}
