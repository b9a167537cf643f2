"use strict";
// Shared by the participant page and the projector view. Text from the server (names, notes, labels)
// only ever goes into the page as text nodes: no HTML is ever built from data.

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const FACES = [[-2, "😡"], [-1, "🙁"], [0, "😐"], [1, "🙂"], [2, "😍"]];
const NOTE_KINDS = { pain: T.pain, idea: T.idea, question: T.question };
const OFFLINE = T.offline;
const BAD_LINK = T.bad_link;

// fetch with the room's token; always resolves to {ok, status, body} (status 0: no connection).
async function api(path, method, payload) {
  const url = path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
  const options = { method: method || "GET", headers: {}, cache: "no-store" };
  if (payload !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(payload);
  }
  try {
    const response = await fetch(url, options);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return { ok: response.ok, status: response.status, body: body || {} };
  } catch (e) {
    return { ok: false, status: 0, body: { error: OFFLINE } };
  }
}

// The message to show for a failed request: the server's own words, or what to do.
function problem(result) {
  if (result.status === 403) return BAD_LINK;
  if (result.status === 0) return OFFLINE;
  const b = result.body || {};
  return [b.error, b.fix].filter(Boolean).join(" ") || fmt(T.went_wrong, { status: result.status });
}

// A translated text with its {name} placeholders filled (the texts come from the server, per language).
function fmt(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

// "1 vote" / "2 votes": forms is [one, other] from the server (the same text twice in Korean and Japanese).
function count(forms, n) {
  return fmt(n === 1 ? forms[0] : forms[1], { n: n });
}

// Build an element; string children become text nodes, never markup.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

// −1.5 / +0.4 / 0 with a real minus sign, as people write it.
function signed(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const text = Math.abs(value).toFixed(digits === undefined ? 1 : digits);
  if (Number(text) === 0) return text;
  return (value < 0 ? "\u2212" : "+") + text;
}

function faceLabel(value) {
  return value === 0 ? "0" : signed(value, 0);
}
