// Janus's client API in the browser, non-trickle: each offer or answer carries all its
// candidates. Through central's relay (/janus) the participant's token opens only its
// own call's room (docs/api.md, "Joining the call's room").

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
export const transaction = () => Math.random().toString(36).slice(2);

export class Janus {
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

export function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 4000); // a server that never answers must not hold the call
  });
}

