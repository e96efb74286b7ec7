/** Entry point of the web app: styles, then the root component. */

import '@xyflow/react/dist/style.css';
import './styles/base.css';
import './styles/shell.css';
import './styles/components.css';
import './styles/builder.css';
import './styles/sms-editor.css';
import './styles/pages.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
