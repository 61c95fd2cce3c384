// <dbsim-lesson lesson="09/async-failover" seed="7" controls="compact|full" height="480" theme="light|dark">
//
// One dbsim lesson inline in a page. Include this file once (<script type="module" src=".../dbsim-lesson.js">);
// every element on the page shares one download and one instance of the simulator, each with its own run.
// Nothing is fetched until an element scrolls near the viewport, and nothing plays until the reader
// presses play. The widget follows the page's theme: prefers-color-scheme, a `theme` attribute, or
// inherited custom properties (--dbsim-bg, --dbsim-fg, --dbsim-card, --dbsim-line, --dbsim-muted,
// --dbsim-primary, --dbsim-standby, --dbsim-down, --dbsim-bad, --dbsim-focus).
const here = new URL('.', import.meta.url);
const modules = {}; // one instantiation per module for the whole page

// Sharding lessons and query-planning lessons run in modules of their own, so a page downloads only
// the code its lessons need. Which module runs which lesson id (the others, and unknown ids, are
// the cluster module's): written in by `cargo xtask dist` from the lessons crate.
const MODULE_OF = /*MODULES*/{};
function load(lesson) {
  const name = MODULE_OF[lesson.trim()] ?? 'dbsim_embed';
  modules[name] ??= import(new URL(`${name}.js`, here).href).then(async (m) => {
    await m.default({ module_or_path: new URL(`${name}_bg.wasm`, here) });
    return m;
  });
  return modules[name];
}

const STYLE = `/*STYLE*/`;

class DbsimLesson extends HTMLElement {
  static observedAttributes = ['lesson', 'seed', 'controls', 'height'];

  connectedCallback() {
    if (!this.shadowRoot) {
      const root = this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = STYLE;
      this.frame = document.createElement('div');
      this.frame.className = 'frame';
      this.frame.setAttribute('part', 'frame');
      this.placeholder();
      root.append(style, this.frame);
      // Keys typed in the widget stay in it: the host page's shortcuts (mdBook's ←/→) never see them.
      for (const type of ['keydown', 'keyup', 'keypress']) this.addEventListener(type, (e) => e.stopPropagation());
    }
    this.size();
    if (this.handle || this.observer) return;
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        this.observer.disconnect();
        this.observer = null;
        this.start();
      }
    }, { rootMargin: '200px' });
    this.observer.observe(this);
  }

  disconnectedCallback() {
    this.observer?.disconnect();
    this.observer = null;
    this.stop();
  }

  attributeChangedCallback(name) {
    this.size();
    if (name !== 'height' && this.handle) {
      this.stop();
      this.start();
    }
  }

  size() {
    const h = this.getAttribute('height');
    if (h === null) return this.style.removeProperty('--dbsim-height');
    const px = Number(h);
    if (Number.isFinite(px) && px >= 120 && px <= 4000) this.style.setProperty('--dbsim-height', `${px}px`);
  }

  placeholder() {
    const p = document.createElement('p');
    p.className = 'status';
    p.textContent = `dbsim lesson ${this.getAttribute('lesson') ?? ''}: loads when scrolled into view`;
    // The placeholder holds about the room the widget will take, so a widget further down the
    // page stays out of view (and unfetched) until the reader gets there.
    p.style.minHeight = 'calc(var(--dbsim-height, 720px) - 26px)';
    this.frame.replaceChildren(p);
  }

  /// A `theme` other than light or dark is named inside the widget, not silently ignored.
  themeNote() {
    const t = this.getAttribute('theme');
    if (t === null || t === '' || t === 'light' || t === 'dark') return null;
    const p = document.createElement('p');
    p.className = 'error theme-error';
    p.textContent = `theme="${t.slice(0, 40)}" is not light or dark: the page's colours (prefers-color-scheme, --dbsim-…) are used`;
    return p;
  }

  async start() {
    this.starting = true;
    let m;
    try {
      m = await load(this.getAttribute('lesson') ?? '');
    } catch (e) {
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = `dbsim could not load: ${e}`;
      this.frame.replaceChildren(p);
      return;
    }
    if (!this.isConnected || this.handle) return;
    const mount = document.createElement('div');
    // The widget keeps the placeholder's room until it has drawn itself: an empty frame while
    // it loads its lesson would pull the widgets below it into view, and they would all load.
    mount.style.minHeight = 'calc(var(--dbsim-height, 720px) - 26px)';
    const drawn = new MutationObserver(() => {
      if (!mount.querySelector('#widget-title, #widget-error')) return;
      drawn.disconnect();
      requestAnimationFrame(() => { mount.style.minHeight = ''; });
    });
    drawn.observe(mount, { childList: true, subtree: true });
    const note = this.themeNote();
    this.frame.replaceChildren(...(note ? [note, mount] : [mount]));
    this.handle = m.mount(mount, this.getAttribute('lesson') ?? '', this.getAttribute('seed') ?? undefined, this.getAttribute('controls') ?? undefined, here.href);
    this.dispatchEvent(new CustomEvent('dbsim-ready', { bubbles: true }));
  }

  stop() {
    if (this.handle) {
      this.handle.unmount();
      this.handle.free?.();
      this.handle = null;
      this.placeholder();
    }
  }
}

if (!customElements.get('dbsim-lesson')) customElements.define('dbsim-lesson', DbsimLesson);
