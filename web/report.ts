// A submission's report, inline: the report page's own body (GET /v1/submissions/{id}/report,
// rendered by src/report/html-report.ts, the renderer of the file a student downloads), shown
// under the page's /assets/report.css. The page is our renderer's output, every value in it
// escaped, with no script and no style attribute (its colours are SVG attributes): only its
// <body> is taken (its <style> stays behind: the page's CSP allows no inline style), and its
// headings and tables are fitted into the page.
import { request } from './api.ts';
import { h } from './dom.ts';

/** The report's markup between <body> and </body>: escaped text never contains either. */
function bodyOf(page: string): string {
  const start = page.indexOf('<body>');
  const end = page.lastIndexOf('</body>');
  if (start < 0 || end < start) throw new Error('the report page has no body');
  return page.slice(start + '<body>'.length, end);
}

/** Fetches the report of a done submission and puts its parts into `container`. */
export async function showReport(container: HTMLElement, id: string, headingLevel: number): Promise<void> {
  const response = await request(`/v1/submissions/${encodeURIComponent(id)}/report`, { headers: { accept: 'text/html' } });
  const parsed = new DOMParser().parseFromString(`<!doctype html><html><body>${bodyOf(await response.text())}</body></html>`, 'text/html');
  const body = document.importNode(parsed.body, true);
  // The report's h1 and h2 sit below the page's own headings.
  for (const heading of [...body.querySelectorAll('h1, h2')]) {
    const level = Math.min(6, headingLevel + (heading.tagName === 'H1' ? 0 : 1));
    const replacement = h(`h${level}` as 'h3', {}, ...heading.childNodes);
    for (const { name, value } of heading.attributes) replacement.setAttribute(name, value);
    heading.replaceWith(replacement);
  }
  // Its ids (verdict, timeline, icicle, holders, steps) are kept, for its style: the pages use none of them.
  for (const table of [...body.querySelectorAll('table')]) {
    const region = h('div', { class: 'scroll', role: 'region', tabindex: 0, 'aria-label': table.id === 'steps' ? 'Steps' : 'Who held it' });
    table.replaceWith(region);
    region.append(table);
  }
  container.replaceChildren(...body.childNodes);
}
