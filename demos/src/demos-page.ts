/**
 * The demos page: the project's headline learners as share links (demos/src/headline.json, written
 * by `npm run share -- --headline` from the committed results), each with its scoreboard number.
 * Links are relative to this page, so they work wherever the site is hosted.
 */
import type { HeadlineLink } from '../../src/pages/headline-link';
import headline from './headline.json';
import { $, hasWebGpu } from './page-util';
import './style.css';

const links = (headline as { links: HeadlineLink[] }).links;
const body = ($('demos') as HTMLTableElement).tBodies[0];

function cell(tr: HTMLTableRowElement, ...nodes: (Node | string)[]): HTMLTableCellElement {
  const td = tr.insertCell();
  td.append(...nodes);
  return td;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]>,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

for (const l of links) {
  const tr = body.insertRow();
  tr.dataset.id = l.id;
  cell(tr, el('b', {}, l.title), el('br', {}), el('span', { className: 'stat' }, `${l.what}. Source: ${l.source}`));
  cell(
    tr,
    el('b', {}, `${(100 * l.benchmarkAccuracy).toFixed(2)}%`),
    el('br', {}),
    el('span', { className: 'stat' }, `row ${l.row}`),
  ).className = 'num';
  const href = `./replay.html#${l.fragment}`;
  const plays = l.stream === 'benchmark' ? 'plays OrderedMNIST' : 'plays its training episodes';
  cell(
    tr,
    el('a', { href, className: 'replay-link' }, 'replay'),
    el('br', {}),
    el('span', { className: 'stat' }, `${plays}; ${l.fragmentChars.toLocaleString('en')}-character link`),
  );
}
document.body.dataset.links = String(links.length);
$('adapter').textContent = hasWebGpu()
  ? 'WebGPU available'
  : 'no WebGPU in this browser: the links open, but cannot play here';
document.body.dataset.state = 'ready';
