// The citizen's side of a booked video meeting from home: the pre-call check, the
// official's queue, then the call through the same Janus room and TURN servers a kiosk
// uses (the desk's own CallMedia, with the official shown large), the chat, the
// official's documents to download and the citizen's own files to send.

import { CallMedia, roomMoved } from "/desk/static/call_media.js";
import { sleep } from "/desk/static/janus.js";

const $ = (id) => document.getElementById(id);
const words = JSON.parse($("words").textContent);
const base = `/visit/${document.body.dataset.token}`;
const say = (template, value) => template.replace("%s", value);

let camera = null; // whether the camera works, as the check found
let microphone = null;
let checkStream = null;
let media = null;
let after = 0;
let polling = false;

async function api(method, path, body, type) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.body = type ? body : JSON.stringify(body);
    options.headers["content-type"] = type || "application/json";
  }
  const answer = await fetch(base + path, options);
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error((data.error && data.error.message) || answer.statusText);
  return data;
}

// --- the pre-call check --------------------------------------------------------------

async function check() {
  for (const id of ["camera-result", "microphone-result", "network-result"]) $(id).textContent = words.checking;
  try {
    checkStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (e) {
    try { checkStream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e2) { checkStream = null; }
  }
  camera = !!(checkStream && checkStream.getVideoTracks().length);
  microphone = !!(checkStream && checkStream.getAudioTracks().length);
  $("camera-result").textContent = camera ? words.ok : words.camera_missing;
  $("microphone-result").textContent = microphone ? `${words.ok} (${words.speak_now})` : words.microphone_missing;
  if (checkStream) $("preview").srcObject = checkStream;
  if (microphone) listen(checkStream);
  $("network-result").textContent = await network();
  $("join").textContent = camera && microphone ? words.join : words.join_anyway;
}

function listen(stream) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const draw = () => {
    if (!checkStream) { context.close(); return; }
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s - 128));
    $("level").value = Math.min(100, peak * 2);
    requestAnimationFrame(draw);
  };
  draw();
}

async function network() {
  // Five round trips to central: the slowest tells more than the average.
  let slowest = 0;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    try {
      const answer = await fetch("/api/v1/health", { cache: "no-store", signal: AbortSignal.timeout(5000) });
      if (!answer.ok) throw new Error(answer.statusText);
    } catch (e) {
      return words.network_down;
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest > 800 ? words.network_slow : words.ok;
}

function stopCheck() {
  if (checkStream) checkStream.getTracks().forEach((t) => t.stop());
  checkStream = null;
  $("preview").srcObject = null;
}

// --- the queue and the call ------------------------------------------------------------

async function join() {
  $("join").disabled = true;
  stopCheck();
  try {
    const call = await api("POST", "/call");
    $("check").hidden = true;
    $("call").hidden = false;
    show(call);
    poll();
  } catch (e) {
    $("join").disabled = false;
    $("network-result").textContent = say(words.problem, e.message);
  }
}

async function poll() {
  if (polling) return;
  polling = true;
  while (polling) {
    await sleep(1000);
    try {
      const query = new URLSearchParams({ after });
      if (camera !== null) query.set("camera", camera);
      if (microphone !== null) query.set("microphone", microphone);
      show(await api("GET", `/call?${query}`));
    } catch (e) {
      $("status").textContent = words.connecting;
    }
  }
}

function show(call) {
  if (call.status === "queued") {
    $("status").textContent = say(words.waiting, call.position || 1);
  } else if (call.status === "active") {
    $("status").textContent = call.official_connected ? words.in_call : words.official_gone;
    if (media && call.join && roomMoved(media.join, call.join)) {
      media.stop(); // its media server died: the room is on another now
      media = null;
    }
    if (!media && call.join) startMedia(call.join);
  } else if (call.status === "ended") {
    finish();
    return;
  }
  for (const line of call.messages || []) {
    after = Math.max(after, line.id);
    const item = document.createElement("li");
    const mine = line.sender === "citizen";
    item.className = mine ? "mine" : "";
    item.textContent = `${mine ? words.you : words[line.sender] || words.official}: ${line.text}`;
    $("chat").append(item);
    item.scrollIntoView({ block: "nearest" });
  }
  documents(call.documents || []);
  // Strong identification, when the official asks: on this same device, by way of the
  // identity provider and back to this page (the call goes on where it was).
  const strong = call.identification === "strong";
  const asked = ["suomifi", "ftn"].includes(call.identification_requested);
  $("identify-box").hidden = strong || !asked;
  $("identified").hidden = !strong;
}

async function identify() {
  $("identify").disabled = true;
  try {
    const answer = await api("POST", "/call/identify", {});
    polling = false;
    if (media) media.stop();
    location.href = answer.address;
  } catch (e) {
    $("identify").disabled = false;
    $("identify-text").textContent = say(words.problem, e.message);
  }
}

async function resume() {
  // Back from the identity provider, or the page reloaded: a call still open goes on.
  if (document.body.dataset.state !== "ready") return;
  try {
    const call = await api("GET", "/call");
    if (call.status === "queued" || call.status === "active") {
      $("check").hidden = true;
      $("call").hidden = false;
      show(call);
      poll();
    }
  } catch (e) {
    /* no call yet: the check comes first */
  }
}

function documents(list) {
  const shown = $("documents");
  const key = list.map((d) => d.id).join();
  if (shown.dataset.key === key) return;
  shown.dataset.key = key;
  shown.replaceChildren();
  if (!list.length) {
    const none = document.createElement("li");
    none.textContent = words.no_documents;
    shown.append(none);
  }
  for (const doc of list) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `${base}/call/documents/${doc.id}`;
    link.textContent = doc.name;
    link.setAttribute("download", doc.name);
    item.append(link);
    shown.append(item);
  }
}

async function startMedia(join) {
  // Shown to the desk as the citizen ("kiosk …", newest first); the official large here.
  const display = `kiosk ${Date.now()}000000`;
  media = new CallMedia({ ...join, display }, {
    large: "official",
    onState: (state) => { if (state === "failed") $("status").textContent = words.connecting; },
    onLiveText: () => {},
    onLink: () => {},
    nameOf: (shown) => (shown.startsWith("interpreter") ? words.interpreter : words.official),
    words: { no_camera: words.no_camera },
    elements: { local: $("local"), remote: $("remote"), others: $("others"), problem: $("problem") },
  });
  try {
    await media.start();
  } catch (e) {
    $("problem").textContent = say(words.problem, e.message);
    media.stop();
    media = null; // tried again on the next poll
  }
}

function finish() {
  polling = false;
  if (media) media.stop();
  media = null;
  $("call").hidden = true;
  $("ended").hidden = false;
}

async function end() {
  try { await api("POST", "/call/end"); } catch (e) { /* ended on central's side anyway */ }
  finish();
}

async function sendMessage(event) {
  event.preventDefault();
  const text = $("chat-text").value.trim();
  if (!text) return;
  $("chat-text").value = "";
  try { await api("POST", "/call/messages", { text }); } catch (e) { $("chat-text").value = text; }
}

async function upload() {
  const file = $("upload").files[0];
  if (!file) return;
  try {
    const sent = await api("POST", `/call/uploads?name=${encodeURIComponent(file.name)}`, file, file.type || "application/octet-stream");
    $("upload-status").textContent = say(words.sent, sent.name);
  } catch (e) {
    $("upload-status").textContent = say(words.send_failed, e.message);
  }
  $("upload").value = "";
}

$("start-check").addEventListener("click", check);
$("join").addEventListener("click", join);
$("end").addEventListener("click", end);
$("chat-form").addEventListener("submit", sendMessage);
$("upload").addEventListener("change", upload);
$("identify").addEventListener("click", identify);
resume();
window.visitMedia = () => media; // for the tests' frame counters
