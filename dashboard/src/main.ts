import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { start } from './lib/app.svelte.ts';
import { loadConfig } from './lib/config.ts';

const target = document.getElementById('app')!;

try {
  start(await loadConfig(window.location));
  mount(App, { target });
} catch (e) {
  // no config, no app: say what is wrong instead of a blank page
  const p = document.createElement('p');
  p.className = 'banner banner-down';
  p.setAttribute('role', 'alert');
  p.textContent = `The dashboard cannot start: ${(e as Error).message}`;
  target.replaceChildren(p);
}
