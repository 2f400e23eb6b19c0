// One call's media at the desk: the official's camera and microphone published to the
// call's room, the citizen's newest feed shown large and everyone else's small, the link
// measured, and a stalled subscription rebuilt. It touches only the elements it is given.

import { Janus, gathered } from "./janus.js";

// The official's video bitrate cap by the citizen's link; 800 kbit/s fits a 1 Mbit/s
// line with the sound and headers, and is plenty for the kiosk's 640×480 screen.
export const SEND_BITRATE = { good: 800000, fair: 450000, poor: 250000 };
export const LINK_RANK = { good: 0, fair: 1, poor: 2 };

// Central moved the call's room to another media server (its own died): the join names
// the server and how many times the room moved.
export function roomMoved(before, now) {
  return before.media_server !== now.media_server || before.media_epoch !== now.media_epoch;
}

export class CallMedia {
  // hooks: onState(connection state), onLiveText(channel, who), onLink(level),
  // nameOf(Janus display) for a small video's caption, and the page's elements
  // {local, remote, others, problem} with the words for a missing camera.
  constructor(join, hooks) {
    this.join = join;
    this.hooks = hooks;
    this.onState = hooks.onState;
    this.el = hooks.elements;
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
    const listed = (joined.publishers || []).concat(this.early || []);
    this.subscribe([...new Map(listed.map((p) => [p.id, p])).values()]);
    this.early = [];
  }
  async localStream() {
    try {
      return await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
    } catch (e) {
      this.el.problem.textContent = this.hooks.words.no_camera;
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
      this.el.local.srcObject = this.stream;
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
    // Janus may announce a publisher before it answers our join: kept until the private
    // id every subscription needs is known.
    if (data.publishers && this.privateId === undefined) this.early = (this.early || []).concat(data.publishers);
    else if (data.publishers) this.subscribe(data.publishers);
    const gone = data.unpublished || data.leaving;
    if (gone && gone !== "ok") this.dropOther(gone);
    if (gone && gone !== "ok" && this.feeds.has(gone)) {
      this.feeds.delete(gone);
      if (gone === this.shownFeed) {
        if (this.feeds.size) this.subscribeTo(this.newestFeed()).catch(() => {});
        else this.el.remote.srcObject = null;
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
    // hooks.large: whose feed is shown large ("kiosk": the citizen, at the desk; "official"
    // on the citizen's own page at home).
    const kiosks = fresh.filter((p) => (p.display || "").startsWith(this.hooks.large || "kiosk"));
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
    caption.textContent = this.hooks.nameOf(publisher.display || "");
    figure.append(video, caption);
    figure.dataset.feed = publisher.id;
    this.el.others.append(figure);
    const pc = new RTCPeerConnection(this.config);
    this.others.set(publisher.id, { pc, figure });
    const handle = await this.janus.attach();
    const attached = await this.janus.message(handle, {
      request: "join", ptype: "subscriber", room: this.join.room,
      streams: [{ feed: publisher.id }], private_id: this.privateId, token: this.join.token,
    });
    const stream = new MediaStream();
    pc.ontrack = (event) => { stream.addTrack(event.track); video.srcObject = stream; };
    pc.ondatachannel = (event) => this.hooks.onLiveText(event.channel, publisher.display || "");
    this.hooks.onLiveText(pc.createDataChannel("t140", { protocol: "t140" }), publisher.display || "");
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
    pc.ontrack = (event) => { remote.addTrack(event.track); this.el.remote.srcObject = remote; };
    pc.ondatachannel = (event) => this.hooks.onLiveText(event.channel, "citizen");
    // Janus relays data to a subscriber once it has opened a channel, on the same label.
    this.hooks.onLiveText(pc.createDataChannel("t140", { protocol: "t140" }), "citizen");
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
    this.hooks.onLink(await this.linkLevel());
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
    if (pc !== this.watchedPc) {
      this.watchedPc = pc; this.hadVideo = false; this.lostAt = null; this.connectedAt = null;
    }
    this.lastFrames = frames;
    if (moving) { this.hadVideo = true; this.silentTries = 0; }
    if (pc.connectionState === "connected") this.connectedAt = this.connectedAt || Date.now();
    // Connected, a video track offered, and never a frame: the feed subscribed to is one
    // that lingers on the media server after its kiosk rejoined, or its first keyframe was
    // lost. Tried again later (a kiosk that sends no video has no video track).
    // 5 s, then every 10 s: a citizen unseen for long is worse than a few more rebuilds.
    const wait = 5000 * 2 ** Math.min(this.silentTries || 0, 1);
    const silent = pc.connectionState === "connected" && !this.hadVideo &&
      pc.getReceivers().some((r) => r.track && r.track.kind === "video") &&
      Date.now() - this.connectedAt > wait;
    const fine = !silent && (["new", "connecting"].includes(pc.connectionState) ||
      (pc.connectionState === "connected" && (moving || !this.hadVideo)));
    if (fine) { this.lostAt = null; return; }
    this.lostAt = this.lostAt || Date.now();
    if (!silent && Date.now() - this.lostAt < 2000) return;
    if (silent) this.silentTries = (this.silentTries || 0) + 1;
    this.resubscribing = true;
    // Only once the media server answers again: a rebuild over a dead link just hangs.
    // The newest kiosk feed: the one shown may be the lingering one.
    const probe = `${this.join.janus_url}/info?token=${encodeURIComponent(this.join.token)}`;
    fetch(probe, { signal: AbortSignal.timeout(1000) })
      .then((answer) => { if (!answer.ok) throw new Error("media server"); })
      .then(() => { this.lostAt = null; return this.subscribeTo(this.newestFeed() ?? this.shownFeed); })
      .catch(() => {})
      .finally(() => { this.resubscribing = false; });
  }
  stop() {
    clearInterval(this.watch);
    for (const feed of [...this.others.keys()]) this.dropOther(feed);
    for (const pc of [this.publisherPc, this.subscriberPc]) if (pc) pc.close();
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    if (this.janus) this.janus.destroy();
    this.el.local.srcObject = null;
    this.el.remote.srcObject = null;
  }
}

