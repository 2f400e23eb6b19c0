// The officials' desk page: log in, take calls from the queue, talk by video, chat and
// pass documents. ES modules, no build step: api.js (central), janus.js (the media
// server), call_media.js (one call's media), live_text.js (real-time text), and this
// file, which owns the page's elements and its state.

import { api, keepToken, logOutOfCentral, poll, session } from "./api.js";
import { CallMedia, roomMoved, LINK_RANK } from "./call_media.js";
import { transaction } from "./janus.js";
import { LiveText } from "./live_text.js";

const POLL_MS = 2000;
const words = JSON.parse(document.getElementById("words").textContent);
const $ = (id) => document.getElementById(id);

let lastMessage = 0;
let activeId = null;      // the call shown on the page
let media = null;         // the running CallMedia, or null
let wantMedia = false;    // this tab answered (or resumed) the active call
let ownLink = "good";     // this desk's own view of the link (CallMedia measures it)

const liveText = new LiveText((lines) => {
  $("live-text").textContent = lines
    .map(([who, line]) => `${who === "citizen" ? words.citizen : partyName(who)} ${words.writing}: ${line}`)
    .join("\n");
});

function notice(text) {
  const el = $("notice");
  el.textContent = text || "";
  el.hidden = !text;
}

// --- the page -------------------------------------------------------------------------

function showLoggedIn(yes) {
  $("login").hidden = yes;
  $("desk").hidden = !yes;
  $("logout").hidden = !yes;
}

function logout() {
  logOutOfCentral();
  stopMedia();
  showLoggedIn(false);
}
session.whenUnauthorized = logout;

function minutes(seconds) {
  const m = Math.floor(seconds / 60);
  return `${m}:${String(seconds % 60).padStart(2, "0")}`;
}

function withButton(li, label, disabled, onClick) {
  const button = document.createElement("button");
  button.textContent = label;
  button.disabled = disabled;
  button.addEventListener("click", onClick);
  li.append(button);
  return li;
}

function renderInterpreting(requests, inCall) {
  // An interpreter's queue: calls that need their language.
  const list = $("queue");
  list.replaceChildren();
  $("queue-empty").hidden = requests.length > 0;
  for (const item of requests) {
    const li = document.createElement("li");
    li.dataset.partyId = item.party_id;
    li.textContent = `${item.language.toUpperCase()} ⇄ ${item.call_language.toUpperCase()} · ${item.service_name} · ${words.waited} ${minutes(item.waited_s)} `;
    list.append(withButton(li, words.take, inCall, () => take(item.party_id)));
  }
}

const take = (partyId) => joinCall(`/desk/interpreting/${partyId}/take`);

function renderQueue(waiting, invitations, inCall) {
  const list = $("queue");
  list.replaceChildren();
  $("queue-empty").hidden = waiting.length + invitations.length > 0;
  // Another organisation's official asks for this one as an expert: first in the list.
  for (const item of invitations) {
    const li = document.createElement("li");
    li.dataset.partyId = item.party_id;
    li.className = "invitation";
    const tags = [item.for_me ? words.for_you : ""].filter(Boolean);
    li.textContent = `${words.invitation} · ${item.organisation} · ${item.service_name} · ${item.call_language.toUpperCase()} · ${words.waited} ${minutes(item.waited_s)}${tags.length ? " · " + tags.join(", ") : ""} `;
    list.append(withButton(li, words.join, inCall, () => joinCall(`/desk/invitations/${item.party_id}/take`)));
  }
  for (const item of waiting) {
    const li = document.createElement("li");
    li.dataset.callId = item.call_id;
    const tags = [item.booked ? words.booked : "", item.for_me ? words.for_you : ""].filter(Boolean);
    li.textContent = `${item.service_name} · ${item.language.toUpperCase()} · ${place(item)} · ${words.waited} ${minutes(item.waited_s)}${tags.length ? " · " + tags.join(", ") : ""} `;
    list.append(withButton(li, words.accept, inCall, () => accept(item.call_id)));
  }
}

function partyName(display) {
  // Janus displays are "<official|interpreter|expert>:<organisation>".
  const [kind, org] = display.split(":");
  if (kind === "interpreter") return words.interpreter;
  return org || words.official;
}

function senderName(sender, myRole) {
  if (sender === myRole) return words.you;
  return words[sender] || sender;
}

function renderParties(call) {
  const official = call.my_role === "official";
  $("end").hidden = !official;
  $("leave").hidden = official;
  $("interpreter-form").hidden = !official;
  $("expert-form").hidden = !official;
  $("identification-label").hidden = !official;
  $("strong-id").hidden = !official;
  $("document-form").hidden = !official;
  $("payment-form").hidden = !official;
  $("payments").hidden = !official;
  const list = $("parties");
  list.replaceChildren();
  for (const party of call.parties) {
    const li = document.createElement("li");
    const who = party.kind === "expert"
      ? `${words.expert}${party.organisation ? " · " + party.organisation : ""}`
      : `${words.interpreter} (${(party.language || "").toUpperCase()})`;
    li.textContent = `${who} · ${words["party_" + party.status] || party.status}`;
    list.append(li);
  }
  $("parties-title").hidden = call.parties.length === 0;
}


function renderLink(kioskLink) {
  // The worse of the citizen's link (the kiosk's measure) and what this desk receives.
  const level = LINK_RANK[kioskLink] >= LINK_RANK[ownLink] ? kioskLink : ownLink;
  const shown = $("link-quality");
  shown.dataset.level = level;
  shown.textContent = `${words.link} ${words["link_" + level]}`;
  shown.title = kioskLink === "good" ? "" : words.citizen_link_weak;
}

// Where the citizen is: the service point and, beside it, its municipality.
function place(item) {
  if (item.from_home) return words.from_home;
  return item.municipality ? `${item.site_name}, ${item.municipality}` : item.site_name;
}

function renderCall(call) {
  $("call").hidden = !call;
  if (!call) return;
  $("call-place").textContent = `${call.service_name} · ${place(call)}`;
  renderParties(call);
  if (media) media.sendFor(call.kiosk_link || "good");
  renderLink(call.kiosk_link || "good");
  for (const line of call.messages) {
    if (line.id <= lastMessage) continue;
    lastMessage = line.id;
    const li = document.createElement("li");
    li.className = line.sender;
    li.textContent = `${senderName(line.sender, call.my_role)}: ${line.text}`;
    $("chat").append(li);
    $("chat").scrollTop = $("chat").scrollHeight;
  }
  const docs = $("documents");
  docs.replaceChildren();
  for (const doc of call.documents) {
    const li = document.createElement("li");
    li.dataset.documentId = doc.id;
    const what = doc.direction === "from_citizen" ? words.scanned : words.shown;
    const printed = doc.printed ? ` · ${words.printed}` : "";
    if (doc.direction === "from_citizen") {
      const link = document.createElement("a");
      link.href = "#";
      link.textContent = doc.name;
      link.addEventListener("click", (event) => { event.preventDefault(); download(call.id, doc); });
      li.append(link, ` (${what})`);
    } else {
      li.textContent = `${doc.name} (${what}${printed})`;
    }
    docs.append(li);
  }
  renderPayments(call.payments || []);
  $("identification").value = call.identification;
  $("identification").disabled = call.identification === "strong";
  $("ask-card").hidden = call.identification === "strong";
  $("ask-phone").hidden = call.identification === "strong";
  $("show-identity").hidden = call.identification !== "strong";
  if (call.identification !== "strong") {
    const asked = call.identification_requested;
    $("identity").textContent = !asked ? "" : asked === "fineid" ? words.card_asked : words.phone_asked;
  }
  // What the kiosk sends: tell the official when the citizen cannot be seen or heard.
  const unseen = call.kiosk_camera === false;
  const unheard = call.kiosk_microphone === false;
  $("citizen-media").textContent =
    unseen && unheard ? words.citizen_not_seen_heard
      : unseen ? words.citizen_not_seen
      : unheard ? words.citizen_not_heard : "";
  const lost = call.status === "active" && !call.kiosk_connected;
  $("call-status").textContent = lost ? words.connection_lost : "";
  $("resume").hidden = wantMedia;
}

async function download(callId, doc) {
  const blob = await api("GET", `/desk/calls/${callId}/documents/${doc.id}`);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = doc.name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function stopMedia() {
  // Let go first: a stop that throws must never keep the next attempt from starting.
  const stopping = media;
  media = null;
  if (stopping) {
    try { stopping.stop(); } catch (e) { console.warn("stopping the media:", e); }
  }
}

let mediaTries = 0;
let leftOnPurpose = false;

let mediaGeneration = 0;

async function startMedia(call) {
  stopMedia();
  mediaGeneration += 1;
  const mine = new CallMedia(call.join, {
    onState: (state) => {
      if (media !== mine) return;
      if (state === "connected") {
        mediaTries = 0;
        $("media-problem").textContent = "";
      } else if (state === "disconnected" || state === "failed") {
        $("media-problem").textContent = words.connection_lost;
      }
      if (state === "failed") restartMedia(call);
    },
    onLiveText: (channel, who) => liveText.listen(channel, who),
    onLink: (level) => { ownLink = level; },
    nameOf: partyName,
    words,
    elements: { local: $("local"), remote: $("remote"), others: $("others"), problem: $("media-problem") },
  });
  media = mine;
  try {
    await mine.start();
  } catch (e) {
    $("media-problem").textContent = `${words.media_failed} ${e.message}`;
    restartMedia(call);
  }
}

function restartMedia(call) {
  // A browser can restart ICE, but the kiosk (aiortc) cannot: both sides build anew.
  stopMedia();
  $("media-problem").textContent = words.connection_lost;
  mediaTries += 1;
  setTimeout(() => {
    if (wantMedia && activeId === call.id && !media) startMedia(call);
  }, Math.min(1000 * 2 ** mediaTries, 4000));
}

// The last full desk state, its tag and when it came: a 304 shows it again, its waiting
// times moved on by the time since.
const lastState = { body: null, tag: null, at: 0 };

function aged(state, seconds) {
  const older = (items) => (items || []).map((item) => ({ ...item, waited_s: item.waited_s + seconds }));
  return { ...state, waiting: older(state.waiting), interpreting: older(state.interpreting), invitations: older(state.invitations) };
}

async function refresh() {
  if (!session.token) return;
  let state;
  try {
    const answer = await poll(`/desk/state?after=${lastMessage}`, lastState.body ? lastState.tag : null);
    if (answer.unchanged) {
      state = aged(lastState.body, Math.round((Date.now() - lastState.at) / 1000));
    } else {
      state = answer.body;
      Object.assign(lastState, { body: state, tag: answer.tag, at: Date.now() });
    }
    notice("");
  } catch (e) {
    if (e.message !== "unauthorized") notice(words.central_unreachable);
    return;
  }
  window.deskState = state; // for the tests and for looking at in the console
  $("presence").textContent = words[state.presence];
  $("presence").dataset.state = state.presence;
  if (state.role === "interpreter") renderInterpreting(state.interpreting, Boolean(state.active));
  else renderQueue(state.waiting, state.invitations || [], Boolean(state.active));
  renderExpertServices(state.expert_services || []);
  const call = state.active;
  if (activeId && (!call || call.id !== activeId)) {
    // The call ended on the other side or elsewhere: say so, let go of the media.
    if (!leftOnPurpose) notice(words.citizen_left);
    leftOnPurpose = false;
    stopMedia();
    $("media-problem").textContent = "";
    wantMedia = false;
    $("chat").replaceChildren();
    liveText.clear();
    lastMessage = 0;
  }
  activeId = call ? call.id : null;
  renderCall(call);
  if (call && media && call.join && roomMoved(media.join, call.join)) {
    // The call's media server died and its room was opened on another: connect there.
    mediaTries = 0;
    startMedia(call);
  }
  if (call && wantMedia && !media) startMedia(call);
}

async function joinCall(path, method = "POST") {
  // Answering a call, taking a request or an invitation, and resuming all end in the
  // call's media.
  try {
    const call = await api(method, path);
    wantMedia = true;
    activeId = call.id;
    await startMedia(call);
    refresh();
  } catch (e) {
    notice(e.message);
  }
}

const accept = (callId) => joinCall(`/desk/calls/${callId}/accept`);

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const answer = await api("POST", "/auth/login", { email: form.get("email"), password: form.get("password") });
    keepToken(answer.access_token);
    notice("");
    showLoggedIn(true);
    refresh();
    refreshAppointments();
  } catch (e) {
    notice(words.login_failed);
  }
});
$("logout").addEventListener("click", logout);
for (const button of [$("set-available"), $("set-away")]) {
  button.addEventListener("click", async () => {
    await api("PUT", "/desk/presence", { presence: button.dataset.presence });
    refresh();
  });
}
window.addEventListener("pagehide", () => {
  // A closed tab leaves the media server at once: its feeds would otherwise linger as
  // frozen pictures on the others' screens until the server notices the dead link.
  const janus = media && media.janus;
  if (!janus || !janus.session) return;
  const bye = { janus: "destroy", transaction: transaction(), token: janus.token };
  fetch(`${janus.url}/${janus.session}`, { method: "POST", body: JSON.stringify(bye), keepalive: true }).catch(() => {});
});
$("resume").addEventListener("click", () => {
  if (!activeId) return;
  // An official takes their call again; an interpreter or expert is still in theirs.
  const active = window.deskState && window.deskState.active;
  if (active && active.my_role !== "official") joinCall(`/desk/calls/${activeId}`, "GET");
  else accept(activeId);
});
$("end").addEventListener("click", async () => {
  if (!activeId) return;
  await api("POST", `/desk/calls/${activeId}/end`, {});
  refresh();
});
$("leave").addEventListener("click", async () => {
  if (!activeId) return;
  await api("POST", `/desk/calls/${activeId}/leave`);
  leftOnPurpose = true;
  refresh();
});
function euros(cents) {
  return `${Math.floor(cents / 100)},${String(cents % 100).padStart(2, "0")} €`;
}
function renderPayments(payments) {
  // What the official asked the citizen to pay, and how each request stands.
  const list = $("payments");
  list.replaceChildren();
  for (const p of payments) {
    const li = document.createElement("li");
    li.dataset.paymentId = p.id;
    li.textContent = `${p.reason}: ${euros(p.amount_cents)} · ${words["payment_" + p.status] || p.status}`;
    list.append(li);
  }
}
$("payment-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("payment-amount").value.trim().replace(",", ".").replace("€", "");
  const cents = Math.round(parseFloat(text) * 100);
  const reason = $("payment-reason").value.trim();
  if (!activeId || !reason) return;
  if (!Number.isFinite(cents) || cents < 1) {
    notice(words.payment_bad_amount);
    return;
  }
  try {
    await api("POST", `/desk/calls/${activeId}/payments`, {
      amount_cents: cents,
      vat_basis_points: Number($("payment-vat").value),
      reason,
    });
    $("payment-amount").value = "";
    $("payment-reason").value = "";
    refresh();
  } catch (e) {
    notice(e.message);
  }
});
$("interpreter-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const language = $("interpreter-language").value.trim().toLowerCase();
  if (!language || !activeId) return;
  try {
    await api("POST", `/desk/calls/${activeId}/interpreter`, { language });
    $("interpreter-language").value = "";
    refresh();
  } catch (e) {
    notice(e.message);
  }
});
function renderExpertServices(services) {
  // The services other organisations' officials serve, for inviting one of them.
  const select = $("expert-service");
  select.closest("label").hidden = services.length === 0; // no other organisation serves
  const key = services.map((s) => `${s.service_id}|${s.organisation_id}`).join(",");
  if (select.dataset.key === key) return; // unchanged: keep what the official picked
  select.dataset.key = key;
  const picked = select.value;
  select.replaceChildren(new Option("", ""));
  // One option per (service, organisation): the invitation names both.
  for (const s of services) select.append(new Option(`${s.name} · ${s.organisation}`, `${s.service_id}|${s.organisation_id}`));
  select.value = picked;
}
$("expert-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = $("expert-email").value.trim();
  const [serviceId, organisationId] = $("expert-service").value.split("|");
  if (!activeId || (!email && !serviceId)) return;
  try {
    await api("POST", `/desk/calls/${activeId}/experts`,
      email ? { email } : { service_id: serviceId, organisation_id: organisationId });
    $("expert-email").value = "";
    $("expert-service").value = "";
    refresh();
  } catch (e) {
    notice(e.message);
  }
});
$("ask-card").addEventListener("click", () =>
  api("POST", `/desk/calls/${activeId}/identification/request`, { method: "fineid" })
    .then(() => { $("identity").textContent = words.card_asked; })
    .catch((e) => notice(e.message)));
$("ask-phone").addEventListener("click", () =>
  api("POST", `/desk/calls/${activeId}/identification/request`, { method: "suomifi" })
    .then(() => { $("identity").textContent = words.phone_asked; })
    .catch((e) => notice(e.message)));
// Who the citizen is: asked for each time (every view is audited), never kept in the page.
$("show-identity").addEventListener("click", () =>
  api("GET", `/desk/calls/${activeId}/identity`)
    .then((who) => {
      $("identity").textContent =
        `${who.given_names} ${who.surname} · ` +
        (who.hetu ? `${words.personal_code} ${who.hetu}` : `${words.identity_code} ${who.satu}`);
    })
    .catch((e) => notice(e.message)));
$("identification").addEventListener("change", (event) =>
  api("PUT", `/desk/calls/${activeId}/identification`, { level: event.target.value }).catch((e) => notice(e.message)));
$("chat-text").addEventListener("input", () => {
  // Each character goes out as it is typed; the line is also sent as a message below.
  liveText.typing(media && media.liveText, $("chat-text").value);
});
$("chat-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("chat-text").value.trim();
  liveText.endLine(media && media.liveText);
  if (!text || !activeId) return;
  await api("POST", `/desk/calls/${activeId}/messages`, { text });
  $("chat-text").value = "";
  refresh();
});
$("document-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("document-file").files[0];
  if (!file || !activeId) return;
  try {
    await api("POST", `/desk/calls/${activeId}/documents?name=${encodeURIComponent(file.name)}`, file, file.type);
    $("document-file").value = "";
    refresh();
  } catch (e) {
    notice(e.message);
  }
});
window.addEventListener("beforeunload", stopMedia);
// For looking at the call's connections from the browser's console (and the tests).
window.deskMedia = () => media;
window.deskVideoIn = async () => {
  // [which subscription, frames it decoded]: a rebuilt one counts from zero again.
  if (!media || !media.subscriberPc) return ["none", 0];
  let frames = 0;
  (await media.subscriberPc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") frames = s.framesDecoded || 0;
  });
  return [`${mediaGeneration}-${media.subscriptions}`, frames];
};

// The day's video appointments: who is coming, who has arrived (checked in at a kiosk or
// waiting at home), who did not come. Every 30 s: they change slowly.
async function refreshAppointments() {
  if (!session.token) return;
  let day;
  try {
    day = await api("GET", `/desk/appointments?lang=${document.documentElement.lang}`);
  } catch (e) {
    return; // an interpreter has none (403), or central is away: the queue says so
  }
  $("appointments-panel").hidden = false;
  $("appointments-empty").hidden = day.items.length > 0;
  $("appointments").hidden = day.items.length === 0;
  const rows = day.items.map((a) => {
    const row = document.createElement("tr");
    row.dataset.state = a.state;
    // Finnish time, whatever the official's computer is set to (the citizens' times are).
    const at = new Date(a.starts_at).toLocaleTimeString(document.documentElement.lang,
      { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "Europe/Helsinki" });
    const where = a.place === "home" ? words.from_home : a.site_name;
    for (const text of [at, a.service_name, where, a.name, words["appointment_" + a.state]]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $("appointments").tBodies[0].replaceChildren(...rows);
  $("feed").href = day.feed_url;
  $("feed").textContent = day.feed_url;
  const select = $("cal-service");
  const key = day.services.map((s) => s.id).join();
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren(...day.services.map((s) => new Option(s.name, s.id)));
  }
  myServices = day.services;
  // Two more requests: only while the official has "My appointment times" open.
  if ($("my-times").open) refreshMyTimes(myServices);
}

let myServices = [];
$("my-times").addEventListener("toggle", () => { if ($("my-times").open) refreshMyTimes(myServices); });

// Midnight of a day in Finland (its offset that day: +2, or +3 in summer).
function helsinkiMidnight(day) {
  const noon = new Date(`${day}T12:00:00Z`);
  const offset = new Intl.DateTimeFormat("en", { timeZone: "Europe/Helsinki", timeZoneName: "shortOffset" })
    .formatToParts(noon).find((p) => p.type === "timeZoneName").value.replace("GMT", "") || "+0";
  const hours = Number(offset);
  return new Date(`${day}T00:00:00${hours >= 0 ? "+" : "-"}${String(Math.abs(hours)).padStart(2, "0")}:00`);
}

// The official's own appointment calendars and absences (central's API, as their admin's
// console page does it): one period on the ticked weekdays; other shapes through the API.
async function refreshMyTimes(services) {
  const names = Object.fromEntries((services || []).map((s) => [s.id, s.name]));
  const [calendars, absences] = await Promise.all([
    api("GET", "/appointment-calendars"), api("GET", "/absences"),
  ]);
  const dayNames = words.day_names.split(",");
  $("my-calendars").replaceChildren(...calendars.items.map((c) => {
    const item = document.createElement("li");
    const days = c.weekly.map((p) => `${dayNames[p.day]} ${p.start}–${p.end}`).join(", ");
    item.textContent = `${names[c.service_id] || c.service_id}: ${days} `;
    const remove = document.createElement("button");
    remove.textContent = words.delete;
    remove.addEventListener("click", async () => {
      if (!window.confirm(words.delete_calendar_sure)) return;
      await api("DELETE", `/appointment-calendars/${c.id}`);
      refreshAppointments();
    });
    item.append(remove);
    return item;
  }));
  $("my-absences").replaceChildren(...absences.items.map((a) => {
    const item = document.createElement("li");
    const show = (at) => new Date(at).toLocaleDateString(document.documentElement.lang, { timeZone: "Europe/Helsinki" });
    item.textContent = `${words.absence}: ${show(a.starts_at)}–${show(a.ends_at)} `;
    const remove = document.createElement("button");
    remove.textContent = words.delete;
    remove.addEventListener("click", async () => { await api("DELETE", `/absences/${a.id}`); refreshAppointments(); });
    item.append(remove);
    return item;
  }));
}

$("calendar-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const days = [...form.querySelectorAll("input[name=day]:checked")].map((box) => Number(box.value));
  const places = [$("cal-point").checked && "service_point", $("cal-home").checked && "home"].filter(Boolean);
  const languages = (window.deskState && window.deskState.languages) || ["fi"];
  try {
    await api("POST", "/appointment-calendars", {
      service_id: $("cal-service").value,
      languages,
      places,
      weekly: days.map((day) => ({ day, start: $("cal-start").value, end: $("cal-end").value })),
      slot_minutes: Number($("cal-slot").value),
      valid_from: new Date().toISOString().slice(0, 10),
    });
    notice("");
    refreshAppointments();
  } catch (e) {
    notice(e.message);
  }
});

$("absence-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  // Whole Finnish days: from the first day's start to the last day's end.
  const start = helsinkiMidnight($("absence-from").value);
  const next = new Date(`${$("absence-to").value}T12:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const end = helsinkiMidnight(next.toISOString().slice(0, 10));
  try {
    await api("POST", "/absences", { starts_at: start.toISOString(), ends_at: end.toISOString() });
    notice("");
    refreshAppointments();
  } catch (e) {
    notice(e.message);
  }
});

showLoggedIn(Boolean(session.token));
refresh();
refreshAppointments();
setInterval(refresh, POLL_MS);
setInterval(refreshAppointments, 30000);
