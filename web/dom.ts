// Small DOM helpers for the pages: elements made with text content (never markup from data),
// figures in a person's units.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined>;

/** An element with attributes and children; strings become text nodes, so data is never parsed as markup. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  element.append(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag: string, attributes: Attributes = {}, ...children: Child[]): SVGElement {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attributes);
  element.append(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  return element;
}

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** Bytes in MiB, as the report shows them: one decimal, two below 10 MiB. */
export function mib(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return `${value.toFixed(value < 10 ? 2 : 1)} MiB`;
}

export function bytesInWords(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${bytes.toLocaleString('en')} bytes (${(bytes / 1024).toFixed(1)} KiB)`;
}

/** A date and time in the reader's own zone, in a <time> element. */
export function when(iso: string): HTMLTimeElement {
  const date = new Date(iso);
  return h('time', { datetime: iso }, date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
}

export function score(value: number | null, max: number | null): string {
  if (value === null) return '-';
  const round = (n: number) => String(Math.round(n * 100) / 100);
  return max === null ? round(value) : `${round(value)} / ${round(max)}`;
}

export const VERDICT_WORDS: Record<string, string> = { passed: 'Passed', failed: 'Not yet', error: 'Error' };

/** A verdict as a short coloured word; queued and running submissions say so. */
export function badge(status: string | null, waiting?: string): HTMLSpanElement {
  if (status === null) return h('span', { class: 'badge waiting' }, waiting ?? 'not graded');
  return h('span', { class: `badge ${status}` }, VERDICT_WORDS[status] ?? status);
}

/** A table in a region that scrolls sideways on a narrow screen, reachable from the keyboard. */
export function scrolling(label: string, table: HTMLTableElement): HTMLDivElement {
  return h('div', { class: 'scroll', role: 'region', 'aria-label': label, tabindex: 0 }, table);
}

/** Replaces an element's children. */
export function fill(element: Element, ...children: Child[]): void {
  element.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}
