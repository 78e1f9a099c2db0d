// A React app in StrictMode around the shared Phone component (the README's pattern).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import Phone from './Phone.jsx';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <Phone />
  </StrictMode>,
);
