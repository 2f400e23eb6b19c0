// The officials' desk: log in, take calls from the queue, talk by video through Janus,
// chat and pass documents. Plain JavaScript, no build step. The bearer token lives in
// sessionStorage: gone when the tab closes, never sent by the browser on its own.
"use strict";

const API = "/api/v1";
const POLL_MS = 2000;
const words = JSON.parse(document.getElementById("words").textContent);
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem("desk-token");
let lastMessage = 0;
let activeId = null;      // the call shown on the page
let media = null;         // the running CallMedia, or null
let wantMedia = false;    // this tab answered (or resumed) the active call

function notice(text) {
  const el = $("notice");
  el.textContent = text || "";
  el.hidden = !text;
}

async function api(method, path, body, contentType) {
  const headers = {};
  if (token) headers.Authorization = "Bearer " + token;
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers["Content-Type"] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(API + path, { method, headers, body: payload });
  if (response.status === 401) {
    logout();
    throw new Error("unauthorized");
  }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.blob();
}

// --- Janus, non-trickle: each offer or answer carries all its candidates -----------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A request that dies on the network ("Failed to fetch", a TypeError) is sent again, up to
// three times, ever later. Two causes seen: after an outage the first request goes out on a
// pooled connection the media server has long closed, and the browser fails every request
// in flight when the computer's network changes (ERR_NETWORK_CHANGED: a VPN or a virtual
// network coming or going), which may happen several times in a few seconds.
async function fetchAgain(send) {
  for (const wait of [250, 750, 1500]) {
    try {
      return await send();
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      await sleep(wait);
    }
  }
  return send();
}
const transaction = () => Math.random().toString(36).slice(2);

class Janus {
  constructor(url, token) {
    this.url = url;
    this.token = token;
    this.waiting = new Map();
    this.handles = new Map();
    this.closed = false;
  }
  async post(path, body) {
    body.token = this.token;
    body.transaction = body.transaction || transaction();
    const response = await fetchAgain(() =>
      fetch(this.url + path, { method: "POST", body: JSON.stringify(body) }));
    const answer = await response.json();
    if (answer.janus === "error") throw new Error(answer.error.reason);
    return answer;
  }
  async create() {
    this.session = (await this.post("", { janus: "create" })).data.id;
    this.poll();
    this.keepalive = setInterval(() => this.post("/" + this.session, { janus: "keepalive" }).catch(() => {}), 25000);
  }
  async poll() {
    while (!this.closed) {
      try {
        const url = `${this.url}/${this.session}?maxev=10&rid=${transaction()}&token=${encodeURIComponent(this.token)}`;
        const events = await (await fetch(url)).json();
        for (const event of [].concat(events)) this.dispatch(event);
      } catch (e) {
        await sleep(1000);
      }
    }
  }
  dispatch(event) {
    const waiter = this.waiting.get(event.transaction);
    if (event.janus === "event" && waiter) {
      this.waiting.delete(event.transaction);
      const data = (event.plugindata || {}).data || {};
      if (data.error) waiter.reject(new Error(data.error));
      else waiter.resolve({ ...data, jsep: event.jsep });
      return;
    }
    const handler = this.handles.get(event.sender);
    if (handler) handler(event);
  }
  async attach(onEvent) {
    const answer = await this.post("/" + this.session, { janus: "attach", plugin: "janus.plugin.videoroom" });
    this.handles.set(answer.data.id, onEvent || (() => {}));
    return answer.data.id;
  }
  message(handle, body, jsep) {
    const id = transaction();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const request = { janus: "message", body, transaction: id };
      if (jsep) request.jsep = jsep;
      this.post(`/${this.session}/${handle}`, request).then((answer) => {
        if (answer.janus === "success") { this.waiting.delete(id); resolve(answer.plugindata.data); }
      }, (error) => { this.waiting.delete(id); reject(error); });
      setTimeout(() => { if (this.waiting.delete(id)) reject(new Error("no answer from the media server")); }, 15000);
    });
  }
  destroy() {
    this.closed = true;
    clearInterval(this.keepalive);
    if (this.session) this.post("/" + this.session, { janus: "destroy" }).catch(() => {});
  }
}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 4000); // a server that never answers must not hold the call
  });
}

// The official's video bitrate cap by the citizen's link; 800 kbit/s fits a 1 Mbit/s
// line with the sound and headers, and is plenty for the kiosk's 640×480 screen.
const SEND_BITRATE = { good: 800000, fair: 450000, poor: 250000 };
const LINK_RANK = { good: 0, fair: 1, poor: 2 };

class CallMedia {
  constructor(join, onState) {
    this.join = join;
    this.onState = onState;
    this.feeds = new Set();
    // Made here, not once joined: stop() walks them, also after a start that failed early.
    this.displays = new Map();
    this.others = new Map(); // the other officials' and interpreters' feeds, shown small
    this.config = {
      iceServers: join.ice_servers || [],
      iceTransportPolicy: new URLSearchParams(location.search).get("relay") ? "relay" : "all",
    };
  }
  async start() {
    this.janus = new Janus(this.join.janus_url, this.join.token);
    await this.janus.create();
    this.publisher = await this.janus.attach((event) => this.onPublisherEvent(event));
    const joined = await this.janus.message(this.publisher, {
      request: "join", ptype: "publisher", room: this.join.room,
      display: this.join.display || "official:", token: this.join.token,
    });
    this.myId = joined.id;
    // Every subscription names this publisher's private id: rooms require it (require_pvtid).
    this.privateId = joined.private_id;
    // A subscription that lost its link is cheaper to rebuild than to wait for: every
    // 2 s while it is not connected (the kiosk's own connection is left alone).
    this.watch = setInterval(() => this.watchSubscription(), 1000);
    await this.publish();
    this.subscribe(joined.publishers || []);
  }
  async localStream() {
    try {
      return await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
    } catch (e) {
      $("media-problem").textContent = words.no_camera;
      try { return await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e2) { return null; }
    }
  }
  async publish() {
    this.stream = await this.localStream();
    const pc = new RTCPeerConnection(this.config);
    this.publisherPc = pc;
    pc.onconnectionstatechange = () => this.onState(pc.connectionState);
    if (this.stream) {
      for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
      $("local").srcObject = this.stream;
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    // Real-time text: T.140 over a data channel (RFC 8865), relayed by Janus.
    this.liveText = pc.createDataChannel("t140", { protocol: "t140" });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const answer = await this.janus.message(this.publisher, { request: "publish", data: true },
      { type: "offer", sdp: pc.localDescription.sdp });
    await pc.setRemoteDescription(answer.jsep);
    await this.sendFor(this.kioskLink || "good");
  }
  async sendFor(link) {
    // What the official sends follows the citizen's link (the kiosk measures it): a cap
    // on the bitrate, and frame rate kept before resolution (EN 301 549 6.5.1).
    this.kioskLink = link;
    const sender = this.publisherPc && this.publisherPc.getSenders().find((s) => s.track && s.track.kind === "video");
    if (!sender) return;
    const parameters = sender.getParameters();
    if (!parameters.encodings || !parameters.encodings.length) return;
    const cap = SEND_BITRATE[link] || SEND_BITRATE.good;
    if (parameters.encodings[0].maxBitrate === cap && parameters.degradationPreference === "maintain-framerate") return;
    parameters.encodings[0].maxBitrate = cap;
    parameters.degradationPreference = "maintain-framerate";
    try { await sender.setParameters(parameters); } catch (e) { console.warn("send parameters:", e); }
  }
  async linkLevel() {
    // This desk's own view of the link: packets lost on what it receives, per second.
    const pc = this.subscriberPc;
    if (!pc) return "good";
    let received = 0, lost = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp") { received += s.packetsReceived || 0; lost += Math.max(0, s.packetsLost || 0); }
    });
    const before = this.linkCounts && this.linkCounts.pc === pc ? this.linkCounts : { received, lost };
    this.linkCounts = { pc, received, lost };
    const expected = received - before.received + lost - before.lost;
    const loss = expected > 0 ? (lost - before.lost) / expected : 0;
    return loss >= 0.10 ? "poor" : loss >= 0.02 ? "fair" : "good";
  }
  onPublisherEvent(event) {
    const data = (event.plugindata || {}).data || {};
    if (data.publishers) this.subscribe(data.publishers);
    const gone = data.unpublished || data.leaving;
    if (gone && gone !== "ok") this.dropOther(gone);
    if (gone && gone !== "ok" && this.feeds.has(gone)) {
      this.feeds.delete(gone);
      if (gone === this.shownFeed) {
        if (this.feeds.size) this.subscribeTo(this.newestFeed()).catch(() => {});
        else $("remote").srcObject = null;
      }
    }
  }
  newestFeed() {
    // The kiosk names each join "kiosk <nanoseconds>": the largest is the newest.
    const order = (id) => Number((this.displays.get(id) || "").split(" ")[1] || 0);
    return [...this.feeds].sort((a, b) => order(a) - order(b)).pop();
  }
  async subscribe(publishers) {
    // The citizen is shown large, from the newest kiosk feed: after the kiosk rejoins,
    // its old feed may linger on Janus until that session times out. Everyone else
    // (an interpreter, another official) gets a small video of their own.
    const fresh = publishers.filter((p) => p.id !== this.myId && !this.feeds.has(p.id) && !this.others.has(p.id));
    if (!fresh.length) return;
    const kiosks = fresh.filter((p) => (p.display || "").startsWith("kiosk"));
    for (const p of fresh) if (!kiosks.includes(p)) this.subscribeOther(p).catch(() => this.dropOther(p.id));
    if (!kiosks.length) return;
    kiosks.forEach((p) => { this.feeds.add(p.id); this.displays.set(p.id, p.display || ""); });
    const newest = this.newestFeed();
    if (newest !== this.shownFeed) await this.subscribeTo(newest);
  }
  async subscribeOther(publisher) {
    const figure = document.createElement("figure");
    const video = document.createElement("video");
    video.autoplay = true; video.playsInline = true;
    const caption = document.createElement("figcaption");
    caption.textContent = partyName(publisher.display || "");
    figure.append(video, caption);
    figure.dataset.feed = publisher.id;
    $("others").append(figure);
    const pc = new RTCPeerConnection(this.config);
    this.others.set(publisher.id, { pc, figure });
    const handle = await this.janus.attach();
    const attached = await this.janus.message(handle, {
      request: "join", ptype: "subscriber", room: this.join.room,
      streams: [{ feed: publisher.id }], private_id: this.privateId, token: this.join.token,
    });
    const stream = new MediaStream();
    pc.ontrack = (event) => { stream.addTrack(event.track); video.srcObject = stream; };
    pc.ondatachannel = (event) => listenLiveText(event.channel, publisher.display || "");
    listenLiveText(pc.createDataChannel("t140", { protocol: "t140" }), publisher.display || "");
    await pc.setRemoteDescription(attached.jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await this.janus.message(handle, { request: "start" }, { type: "answer", sdp: pc.localDescription.sdp });
  }
  dropOther(feed) {
    const other = this.others.get(feed);
    if (!other) return;
    other.pc.close();
    other.figure.remove();
    this.others.delete(feed);
  }
  async subscribeTo(feed) {
    this.subscriptions = (this.subscriptions || 0) + 1;
    if (this.subscriberPc) this.subscriberPc.close();
    const handle = await this.janus.attach();
    const attached = await this.janus.message(handle, {
      request: "join", ptype: "subscriber", room: this.join.room,
      streams: [{ feed }], private_id: this.privateId, token: this.join.token,
    });
    const pc = new RTCPeerConnection(this.config);
    this.subscriberPc = pc;
    this.shownFeed = feed;
    const remote = new MediaStream();
    pc.ontrack = (event) => { remote.addTrack(event.track); $("remote").srcObject = remote; };
    pc.ondatachannel = (event) => listenLiveText(event.channel, "citizen");
    // Janus relays data to a subscriber once it has opened a channel, on the same label.
    listenLiveText(pc.createDataChannel("t140", { protocol: "t140" }), "citizen");
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") this.onState("connected");
      else if (pc.connectionState === "disconnected") this.onState("disconnected");
    };
    await pc.setRemoteDescription(attached.jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await this.janus.message(handle, { request: "start" }, { type: "answer", sdp: pc.localDescription.sdp });
  }
  async watchLink() {
    ownLink = await this.linkLevel();
  }
  async watchSubscription() {
    this.watchLink().catch(() => {});
    // Rebuilt when its link is down or its video stalled (decoding stopped after losses,
    // waiting for a keyframe): a new subscription makes Janus ask the kiosk for one.
    const pc = this.subscriberPc;
    if (!pc || this.shownFeed === undefined || this.resubscribing) return;
    let frames = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") frames = s.framesDecoded || 0;
    });
    const moving = frames > (this.lastFrames || 0);
    if (pc !== this.watchedPc) { this.watchedPc = pc; this.hadVideo = false; this.lostAt = null; }
    this.lastFrames = frames;
    if (moving) this.hadVideo = true;
    const fine = ["new", "connecting"].includes(pc.connectionState) ||
      (pc.connectionState === "connected" && (moving || !this.hadVideo));
    if (fine) { this.lostAt = null; return; }
    this.lostAt = this.lostAt || Date.now();
    if (Date.now() - this.lostAt < 2000) return;
    this.resubscribing = true;
    // Only once the media server answers again: a rebuild over a dead link just hangs.
    fetch(this.join.janus_url + "/info", { signal: AbortSignal.timeout(1000) })
      .then((answer) => { if (!answer.ok) throw new Error("media server"); })
      .then(() => { this.lostAt = null; return this.subscribeTo(this.shownFeed); })
      .catch(() => {})
      .finally(() => { this.resubscribing = false; });
  }
  stop() {
    clearInterval(this.watch);
    for (const feed of [...this.others.keys()]) this.dropOther(feed);
    for (const pc of [this.publisherPc, this.subscriberPc]) if (pc) pc.close();
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    if (this.janus) this.janus.destroy();
    $("local").srcObject = null;
    $("remote").srcObject = null;
  }
}

// --- the page -------------------------------------------------------------------------

function showLoggedIn(yes) {
  $("login").hidden = yes;
  $("desk").hidden = !yes;
  $("logout").hidden = !yes;
}

function logout() {
  if (token) fetch(API + "/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + token } }).catch(() => {});
  token = null;
  sessionStorage.removeItem("desk-token");
  stopMedia();
  showLoggedIn(false);
}

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
    li.textContent = `${item.service_name} · ${item.language.toUpperCase()} · ${item.site_name} · ${words.waited} ${minutes(item.waited_s)}${tags.length ? " · " + tags.join(", ") : ""} `;
    list.append(withButton(li, words.accept, inCall, () => accept(item.call_id)));
  }
}

// --- real-time text ---------------------------------------------------------------------

const BACKSPACE = "\u0008";
const LINE_END = "\u2028";
const liveLines = new Map(); // who -> the line they are writing now

function listenLiveText(channel, who) {
  channel.onmessage = (event) => {
    let line = liveLines.get(who) || "";
    for (const char of String(event.data)) {
      if (char === BACKSPACE) line = line.slice(0, -1);
      else if (char === LINE_END || char === "\n") line = "";
      else if (char >= " " && line.length < 300) line += char;
    }
    liveLines.set(who, line);
    window.liveTextAt = Date.now(); // when the last characters came (the tests' clock)
    renderLiveText();
  };
}

function renderLiveText() {
  const lines = [];
  for (const [who, line] of liveLines) {
    if (!line) continue;
    const name = who === "citizen" ? words.citizen : partyName(who);
    lines.push(`${name} ${words.writing}: ${line}`);
  }
  $("live-text").textContent = lines.join("\n");
}

let lastTyped = "";
function sendLiveText(text) {
  const channel = media && media.liveText;
  if (channel && channel.readyState === "open" && text) channel.send(text);
}

function typedChange(before, after) {
  let common = 0;
  while (common < before.length && common < after.length && before[common] === after[common]) common += 1;
  return BACKSPACE.repeat(before.length - common) + after.slice(common);
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
  $("document-form").hidden = !official;
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

let ownLink = "good";

function renderLink(kioskLink) {
  // The worse of the citizen's link (the kiosk's measure) and what this desk receives.
  const level = LINK_RANK[kioskLink] >= LINK_RANK[ownLink] ? kioskLink : ownLink;
  const shown = $("link-quality");
  shown.dataset.level = level;
  shown.textContent = `${words.link} ${words["link_" + level]}`;
  shown.title = kioskLink === "good" ? "" : words.citizen_link_weak;
}

function renderCall(call) {
  $("call").hidden = !call;
  if (!call) return;
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
  $("identification").value = call.identification;
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
let mediaState = "";

let mediaGeneration = 0;

async function startMedia(call) {
  stopMedia();
  mediaGeneration += 1;
  const mine = new CallMedia(call.join, (state) => {
    if (media !== mine) return;
    mediaState = state;
    if (state === "connected") {
      mediaTries = 0;
      $("media-problem").textContent = "";
    } else if (state === "disconnected" || state === "failed") {
      $("media-problem").textContent = words.connection_lost;
    }
    if (state === "failed") restartMedia(call);
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

async function refresh() {
  if (!token) return;
  let state;
  try {
    state = await api("GET", `/desk/state?after=${lastMessage}`);
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
    liveLines.clear();
    lastTyped = "";
    renderLiveText();
    lastMessage = 0;
  }
  activeId = call ? call.id : null;
  renderCall(call);
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
    token = answer.access_token;
    sessionStorage.setItem("desk-token", token);
    notice("");
    showLoggedIn(true);
    refresh();
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
$("identification").addEventListener("change", (event) =>
  api("PUT", `/desk/calls/${activeId}/identification`, { level: event.target.value }).catch((e) => notice(e.message)));
$("chat-text").addEventListener("input", () => {
  // Each character goes out as it is typed; the line is also sent as a message below.
  const now = $("chat-text").value;
  sendLiveText(typedChange(lastTyped, now));
  lastTyped = now;
});
$("chat-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("chat-text").value.trim();
  sendLiveText(LINE_END);
  lastTyped = "";
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

showLoggedIn(Boolean(token));
refresh();
setInterval(refresh, POLL_MS);
