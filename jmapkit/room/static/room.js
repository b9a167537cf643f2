// The projector view: stages as columns; per touchpoint the team's, the room's and the measured emotion,
// the votes per face, and the notes as they arrive. Follows the server's event stream (polls if it drops).
const POLL_MS = 2000;
const CONFIRM_MS = 5000;
// Texts come from the server in the workshop's language (T, see jmapkit/room/texts.py).
const TEXT = {
  meta: (s) => [fmt(T.round, { n: s.round }), s.voting_open ? T.voting_open : T.voting_closed,
    count(T.voters, s.voters), count(T.notes, s.notes.length)].join(" · "),
  close: T.close,
  open: T.open,
  newRound: (n) => fmt(T.new_round_button, { n: n }),
  confirm: (n) => fmt(T.confirm, { n: n }),
  live: T.live,
  reconnecting: T.reconnecting,
  team: T.team,
  room: T.room_emotion,
  data: T.data,
  backstage: T.backstage,
  hide: T.hide,
  dots: (n) => "● " + n,
  votes: (n) => count(T.votes, n),
  measuredN: (n) => fmt(T.measured_n, { n: n }),
};

const $ = (id) => document.getElementById(id);
let snapshot = null;
let seenNotes = null;
let polling = null;
let confirmUntil = 0;

function emotionClass(value) {
  if (value === null || value === undefined) return "none";
  return value <= -1 ? "neg2" : value < -0.25 ? "neg1" : value <= 0.25 ? "zero" : value < 1 ? "pos1" : "pos2";
}

function emotion(label, value) {
  return el("div", { class: "emotion " + emotionClass(value) }, el("dt", { text: label }), el("dd", { text: signed(value) }));
}

function evidence(tp) {
  const parts = [];
  if (tp.layer === "frontstage") parts.push(TEXT.votes(tp.n));
  if (tp.measured !== null) parts.push(TEXT.measuredN(tp.measured_n));
  return parts.length ? el("p", { class: "evidence", text: parts.join(" · ") }) : null;
}

function histogram(tp) {
  const counts = FACES.map(([value]) => tp.counts[String(value)] || 0);
  const most = Math.max(1, ...counts);
  const bars = FACES.map(([value], i) => {
    const fill = el("span", { class: "fill face" + (value + 2) });
    fill.style.height = Math.round((counts[i] / most) * 100) + "%";
    return el("div", { class: "col" }, el("span", { class: "count", text: String(counts[i]) }),
      el("span", { class: "well" }, fill), el("span", { class: "face-label", text: faceLabel(value) }));
  });
  return el("div", { class: "hist", role: "img", "aria-label": fmt(T.votes_per_face, { counts: counts.join(", ") }) }, bars);
}

function noteItem(n) {
  const fresh = seenNotes !== null && !seenNotes.has(n.id);
  return el("li", { class: "note " + n.kind + (fresh ? " new" : "") },
    el("p", { class: "text", text: n.text }),
    el("p", { class: "by" },
      el("span", { class: "kind " + n.kind, text: NOTE_KINDS[n.kind] || n.kind }),
      n.participant ? el("span", { class: "who", text: n.participant }) : null,
      el("span", { class: "dots", text: TEXT.dots(n.dots) }),
      el("button", { type: "button", class: "hide", onclick: () => hide(n.id), text: TEXT.hide })));
}

function render(s) {
  snapshot = s;
  document.title = fmt(T.page_title, { workshop: s.workshop });
  $("workshop").textContent = s.workshop;
  $("meta").textContent = TEXT.meta(s);
  $("join-link").textContent = s.participant_link || "";
  const toggle = $("toggle-voting");
  toggle.textContent = s.voting_open ? TEXT.close : TEXT.open;
  toggle.hidden = false;
  const next = $("new-round");
  next.textContent = Date.now() < confirmUntil ? TEXT.confirm(s.round + 1) : TEXT.newRound(s.round + 1);
  next.hidden = false;

  const byTouchpoint = {};
  for (const n of s.notes) (byTouchpoint[n.touchpoint] = byTouchpoint[n.touchpoint] || []).push(n);
  const board = $("board");
  board.style.gridTemplateColumns = "repeat(" + Math.max(1, s.stages.length) + ", minmax(0, 1fr))";
  const columns = s.stages.map((stage) => {
    const cards = s.touchpoints.filter((t) => t.stage === stage.id).map((tp) => {
      const notes = (byTouchpoint[tp.id] || []).slice().sort((a, b) => b.dots - a.dots || (a.at < b.at ? -1 : 1));
      const front = tp.layer === "frontstage";
      return el("article", { class: "tp" + (front ? "" : " backstage"), "data-touchpoint": tp.id },
        el("h3", { text: tp.label }),
        el("dl", { class: "emotions" },
          emotion(TEXT.team, tp.team), emotion(TEXT.room, tp.mean), emotion(TEXT.data, tp.measured)),
        evidence(tp),
        front ? histogram(tp) : el("p", { class: "muted", text: TEXT.backstage }),
        notes.length ? el("ul", { class: "notes" }, notes.map(noteItem)) : null);
    });
    return el("section", { class: "stage" }, el("h2", { text: stage.label }), cards);
  });
  board.replaceChildren(...columns);
  seenNotes = new Set(s.notes.map((n) => n.id));
}

async function refresh() {
  const result = await api("/api/room");
  if (result.ok) render(result.body);
  else $("conn").textContent = problem(result);
}

function follow() {
  const source = new EventSource("/api/events?token=" + encodeURIComponent(TOKEN));
  source.addEventListener("room", (event) => {
    $("conn").textContent = TEXT.live;
    if (polling) { clearInterval(polling); polling = null; }
    render(JSON.parse(event.data));
  });
  source.addEventListener("error", () => {
    $("conn").textContent = TEXT.reconnecting;
    if (!polling) polling = setInterval(refresh, POLL_MS);  // EventSource retries by itself; poll meanwhile
  });
}

async function act(path, payload) {
  const result = await api(path, "POST", payload);
  if (!result.ok) $("conn").textContent = problem(result);
  else if (polling) refresh();
}

function hide(id) {
  act("/api/notes/" + encodeURIComponent(id) + "/hide", { hidden: true });
}

function start() {
  $("qr").src = "/room/qr.svg?token=" + encodeURIComponent(TOKEN);
  $("toggle-voting").addEventListener("click", () => act("/api/voting", { open: !snapshot.voting_open }));
  $("new-round").addEventListener("click", () => {
    if (Date.now() < confirmUntil) {
      confirmUntil = 0;
      act("/api/rounds", {});
    } else {
      confirmUntil = Date.now() + CONFIRM_MS;
      $("new-round").textContent = TEXT.confirm(snapshot.round + 1);
      setTimeout(() => { if (snapshot) render(snapshot); }, CONFIRM_MS + 50);
    }
  });
  refresh();
  follow();
}

start();
