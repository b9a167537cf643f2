// The participant page: five faces per frontstage touchpoint, a notes box, the room's notes with dots.
const POLL_MS = 10000;
// Texts come from the server in the page's language (T, see jmapkit/room/texts.py).
const TEXT = {
  round: (n) => fmt(T.round, { n: n }),
  newRound: (n) => fmt(T.new_round, { n: n }),
  by: (name) => fmt(T.by, { name: name }),
};
const LANGUAGE_COOKIE = "jmapkit_lang";

const $ = (id) => document.getElementById(id);
const device = deviceId();
let state = null;
let layout = "";
let mine = {};

function deviceId() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("jmapkit_device="));
  const fromCookie = cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
  if (/^[A-Za-z0-9_-]{8,64}$/.test(fromCookie)) return fromCookie;
  let stored = "";
  try { stored = localStorage.getItem("jmapkit.device") || ""; } catch (e) { stored = ""; }
  if (/^[A-Za-z0-9_-]{8,64}$/.test(stored)) return stored;
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const made = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  try { localStorage.setItem("jmapkit.device", made); } catch (e) { /* private mode: one id per visit */ }
  return made;
}

function remember(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* votes are on the server anyway */ }
}

function recall(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
}

function participant() {
  const name = $("name").value.trim();
  return name ? name : null;
}

function status(text, kind) {
  const box = $("status");
  box.textContent = text || "";
  box.className = "status" + (kind ? " " + kind : "");
  box.hidden = !text;
}

async function loadState() {
  const result = await api("/api/state");
  if (!result.ok) {
    status(problem(result), "error");
    return;
  }
  const previous = state;
  state = result.body;
  document.title = state.workshop;
  $("workshop").textContent = state.workshop;
  $("round").textContent = TEXT.round(state.round);
  const shape = JSON.stringify([state.stages, state.touchpoints]);
  if (shape !== layout) {
    layout = shape;
    mine = recall("jmapkit.votes." + state.round, {});
    render();
  } else if (previous && previous.round !== state.round) {
    mine = recall("jmapkit.votes." + state.round, {});
    render();
  }
  if (previous && previous.round !== state.round) status(TEXT.newRound(state.round), "info");
  else if (!state.voting_open) status(T.closed, "info");
  else status("");
  for (const button of document.querySelectorAll("button.face")) button.disabled = !state.voting_open;
}

function frontstage() {
  return state.touchpoints.filter((t) => t.layer === "frontstage");
}

function render() {
  const stages = $("stages");
  stages.replaceChildren();
  const select = $("note-touchpoint");
  select.replaceChildren();
  for (const stage of state.stages) {
    const here = frontstage().filter((t) => t.stage === stage.id);
    if (!here.length) continue;
    const group = el("optgroup", { label: stage.label });
    const section = el("section", { class: "stage" }, el("h3", { text: stage.label }));
    for (const tp of here) {
      section.append(card(tp));
      group.append(el("option", { value: tp.id, text: tp.label }));
    }
    stages.append(section);
    select.append(group);
  }
  for (const id of ["me", "vote", "post", "notes"]) $(id).hidden = false;
}

function card(tp) {
  const note = el("p", { class: "card-status", role: "status", "aria-live": "polite" });
  const faces = el("div", { class: "faces", role: "group", "aria-label": tp.label });
  for (const [value, emoji] of FACES) {
    const chosen = mine[tp.id] === value;
    faces.append(el("button", {
      type: "button", class: "face" + (chosen ? " chosen" : ""), "aria-pressed": chosen ? "true" : "false",
      "data-value": value, "aria-label": faceLabel(value), onclick: () => vote(tp, value, faces, note),
    }, el("span", { class: "emoji", "aria-hidden": "true", text: emoji }), el("span", { class: "num", text: faceLabel(value) })));
  }
  return el("article", { class: "touchpoint card" }, el("h4", { text: tp.label }), faces, note);
}

async function vote(tp, value, faces, note) {
  note.textContent = T.saving;
  note.className = "card-status";
  const result = await api("/api/votes", "POST", { device: device, participant: participant(), votes: { [tp.id]: value } });
  if (!result.ok) {
    note.textContent = problem(result);
    note.className = "card-status error";
    return;
  }
  mine[tp.id] = value;
  remember("jmapkit.votes." + state.round, mine);
  for (const button of faces.querySelectorAll("button")) {
    const chosen = Number(button.dataset.value) === value;
    button.classList.toggle("chosen", chosen);
    button.setAttribute("aria-pressed", chosen ? "true" : "false");
  }
  note.textContent = T.saved;
}

function kindChoices() {
  const box = $("note-kind");
  for (const [kind, label] of Object.entries(NOTE_KINDS)) {
    const id = "kind-" + kind;
    box.append(el("span", { class: "choice" },
      el("input", { type: "radio", name: "kind", id: id, value: kind, checked: kind === "pain" }),
      el("label", { for: id, class: "kind " + kind, text: label })));
  }
}

async function postNote() {
  const text = $("note-text").value.trim();
  const box = $("note-status");
  if (!text) {
    box.textContent = T.empty;
    box.className = "status error";
    return;
  }
  const kind = document.querySelector("input[name=kind]:checked").value;
  $("note-send").disabled = true;
  const result = await api("/api/notes", "POST", {
    device: device, participant: participant(), touchpoint: $("note-touchpoint").value, kind: kind, text: text,
  });
  $("note-send").disabled = false;
  if (!result.ok) {
    box.textContent = problem(result);
    box.className = "status error";
    return;
  }
  $("note-text").value = "";
  $("note-count").textContent = "0";
  box.textContent = T.posted;
  box.className = "status ok";
  loadNotes();
}

async function loadNotes() {
  if (!state) return;
  const result = await api("/api/notes?device=" + encodeURIComponent(device));
  if (!result.ok) return;
  const labels = Object.fromEntries(state.touchpoints.map((t) => [t.id, t.label]));
  const notes = result.body.notes.slice().sort((a, b) => b.dots - a.dots || (a.at < b.at ? 1 : -1));
  const list = $("note-list");
  list.replaceChildren();
  if (!notes.length) list.append(el("li", { class: "muted", text: T.no_notes }));
  for (const n of notes) {
    const dot = el("button", {
      type: "button", class: "dot" + (n.dotted ? " dotted" : ""), "aria-pressed": n.dotted ? "true" : "false",
      onclick: () => addDot(n.id),
    }, "● ", n.dotted ? T.dotted : T.dot, " · ", String(n.dots));
    dot.disabled = n.dotted;
    list.append(el("li", { class: "note " + n.kind },
      el("p", { class: "where" }, el("span", { class: "kind " + n.kind, text: NOTE_KINDS[n.kind] || n.kind }), " ",
        labels[n.touchpoint] || n.touchpoint),
      el("p", { class: "text", text: n.text }),
      n.participant ? el("p", { class: "by muted", text: TEXT.by(n.participant) }) : null,
      dot));
  }
}

async function addDot(id) {
  const result = await api("/api/notes/" + encodeURIComponent(id) + "/dots", "POST", { device: device });
  if (!result.ok) $("note-status").textContent = problem(result);
  loadNotes();
}

// The language switch: the choice is kept on this device (a cookie the server reads, a year long).
function languageSwitch() {
  const select = $("lang");
  for (const [code, name] of Object.entries(T.languages)) {
    select.append(el("option", { value: code, lang: code, text: name, selected: code === T.lang }));
  }
  select.addEventListener("change", () => {
    document.cookie = LANGUAGE_COOKIE + "=" + select.value + "; max-age=31536000; path=/; samesite=strict";
    remember("jmapkit.lang", select.value);
    location.reload();
  });
}

function start() {
  languageSwitch();
  $("name").value = recall("jmapkit.name", "");
  $("name").addEventListener("change", () => remember("jmapkit.name", $("name").value.trim()));
  $("note-text").addEventListener("input", () => { $("note-count").textContent = String($("note-text").value.length); });
  $("note-send").addEventListener("click", postNote);
  kindChoices();
  loadState().then(loadNotes);
  setInterval(() => {
    if (document.visibilityState === "visible") loadState().then(loadNotes);
  }, POLL_MS);
}

start();
