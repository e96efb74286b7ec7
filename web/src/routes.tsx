/** Which page a path shows. */

import { lazy, type ReactNode, Suspense } from 'react';
import { Empty, Loading } from './components/ui.tsx';
import { matchPath } from './lib/router.ts';
import { AccountPage } from './pages/AccountPage.tsx';
import { CallDetailPage } from './pages/CallDetailPage.tsx';
import { CallsPage } from './pages/CallsPage.tsx';
import { DndPage } from './pages/DndPage.tsx';
import { FlowsPage } from './pages/FlowsPage.tsx';
import { ReportsPage } from './pages/ReportsPage.tsx';
import { SmsDetailPage } from './pages/SmsDetailPage.tsx';
import { SmsPage } from './pages/SmsPage.tsx';

// The Builder (React Flow, the applet registry, the SMS and DLT cores with the phone number
// metadata) and the DLT page (the template linter) load on first use: the other pages stay light.
const FlowBuilderPage = lazy(async () => ({
  default: (await import('./builder/FlowBuilderPage.tsx')).FlowBuilderPage,
}));
const DltPage = lazy(async () => ({ default: (await import('./pages/dlt/DltPage.tsx')).DltPage }));

type Page = (params: Record<string, string>) => ReactNode;

const ROUTES: [string, Page][] = [
  ['/flows', () => <FlowsPage />],
  ['/flows/:id', (p) => <FlowBuilderPage flowId={p.id!} />],
  ['/calls', () => <CallsPage />],
  ['/calls/:sid', (p) => <CallDetailPage callSid={p.sid!} />],
  ['/sms', () => <SmsPage />],
  ['/sms/:sid', (p) => <SmsDetailPage sid={p.sid!} />],
  ['/reports', () => <ReportsPage />],
  ['/dlt', () => <DltPage />],
  ['/dnd', () => <DndPage />],
  ['/account', () => <AccountPage />],
];

export function resolveRoute(pathname: string): ReactNode {
  for (const [pattern, page] of ROUTES) {
    const params = matchPath(pattern, pathname);
    if (params) return <Suspense fallback={<Loading />}>{page(params)}</Suspense>;
  }
  return (
    <div className="page">
      <Empty>No page at {pathname}.</Empty>
    </div>
  );
}
