// Real-time text (T.140 over a data channel, RFC 8865): what each party is typing, as they
// type it, and what this desk sends as the official types.

export const BACKSPACE = "\u0008";
export const LINE_END = "\u2028";

export class LiveText {
  // onChange(lines): called with [who, line] pairs whenever someone's line changes.
  constructor(onChange) {
    this.onChange = onChange;
    this.lines = new Map(); // who -> the line they are writing now
    this.typed = "";
  }
  listen(channel, who) {
    channel.onmessage = (event) => {
      let line = this.lines.get(who) || "";
      for (const char of String(event.data)) {
        if (char === BACKSPACE) line = line.slice(0, -1);
        else if (char === LINE_END || char === "\n") line = "";
        else if (char >= " " && line.length < 300) line += char;
      }
      this.lines.set(who, line);
      window.liveTextAt = Date.now(); // when the last characters came (the tests' clock)
      this.onChange([...this.lines].filter(([, text]) => text));
    };
  }
  // The characters that turn what was in the box into what is now: backspaces, then new.
  typing(channel, now) {
    const change = typedChange(this.typed, now);
    this.typed = now;
    send(channel, change);
  }
  endLine(channel) {
    this.typed = "";
    send(channel, LINE_END);
  }
  clear() {
    this.lines.clear();
    this.typed = "";
    this.onChange([]);
  }
}

function send(channel, text) {
  if (channel && channel.readyState === "open" && text) channel.send(text);
}

export function typedChange(before, after) {
  let common = 0;
  while (common < before.length && common < after.length && before[common] === after[common]) common += 1;
  return BACKSPACE.repeat(before.length - common) + after.slice(common);
}
