/**
 * The few DOM calls the status page makes, typed here instead of through TypeScript's
 * "dom" library. The repository compiles with lib ES2022 and Node's types only; adding
 * the DOM library would retype globals (setTimeout, fetch, Response, Event) for every
 * Node module in the same build. Declared inside this module, `document` is visible only
 * here, and the rest of ui/ builds elements through these helpers.
 *
 * Text always goes in as text (a text node, never innerHTML): nothing a node reports
 * (an error message, a file name) can inject markup into the page.
 */

export interface PageElement {
  textContent: string | null;
  hidden: boolean;
  /** The inner width the page gives it, in CSS pixels (0 for SVG elements and hidden ones). */
  readonly clientWidth: number;
  setAttribute(name: string, value: string): void;
  append(...children: Array<PageElement | string>): void;
  replaceChildren(...children: Array<PageElement | string>): void;
}

/** An SVG <text> element on the page: the browser knows how wide it draws. */
interface MeasuredText {
  getComputedTextLength(): number;
}

interface PageDocument {
  getElementById(id: string): PageElement | null;
  createElement(tag: string): PageElement;
  createElementNS(namespace: string, tag: string): PageElement;
}

declare const document: PageDocument;

const SVG_NAMESPACE = "http://www.w3.org/2000/svg";

/** Attribute values; true sets an empty attribute, false, null and undefined leave it out. */
export type Attributes = Record<string, string | number | boolean | null | undefined>;
/** Children; false, null and undefined are left out, so conditions read inline. */
export type Child = PageElement | string | number | false | null | undefined;

/** An HTML element: html("td", { class: "number" }, 42). */
export function html(tag: string, attributes: Attributes = {}, ...children: Child[]): PageElement {
  return filled(document.createElement(tag), attributes, children);
}

/** An SVG element: svg("rect", { x: 0, y: 0, width: 10, height: 10 }). */
export function svg(tag: string, attributes: Attributes = {}, ...children: Child[]): PageElement {
  return filled(document.createElementNS(SVG_NAMESPACE, tag), attributes, children);
}

/** The page's element with this id (the HTML shell, status_page.ts, has them all). */
export function byId(id: string): PageElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The status page has no element #${id}`);
  return found;
}

/**
 * How wide, in SVG user units, each of `texts` draws with its CSS class inside `container`
 * (an element on the page, so the page's stylesheet applies). The texts are put in a
 * throwaway <svg> in `container` for the measure; the caller draws over it.
 */
export function measureTextWidths(container: PageElement, texts: ReadonlyArray<{ className: string; text: string }>): number[] {
  const elements = texts.map(({ className, text }) => svg("text", { class: className, x: 0, y: 0 }, text));
  container.replaceChildren(svg("svg", { width: 0, height: 0, "aria-hidden": "true" }, svg("g", { class: "member" }, ...elements)));
  // The elements were made by createElementNS in the SVG namespace as <text>: SVGTextElement.
  return elements.map((element) => (element as unknown as MeasuredText).getComputedTextLength());
}

function filled(element: PageElement, attributes: Attributes, children: Child[]): PageElement {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    element.append(typeof child === "number" ? String(child) : child);
  }
  return element;
}
