// Tiny DOM builder. No innerHTML, no style or on* attributes (CSP).
const PROPS = ['value', 'checked', 'disabled', 'hidden'];

function append(el, children) {
  for (const c of children) {
    if (c == null || typeof c === 'boolean') continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c);
  }
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false || k === 'style' || /^on/i.test(k)) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
}

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'attrs') setAttrs(el, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (PROPS.includes(k)) el[k] = v;
    else setAttrs(el, { [k]: v });
  }
  append(el, children);
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}
