"""Debian's Chromium for tests and benchmarks, as this machine's closed network needs it.

Without the background-networking flags Chromium keeps trying Google's hosts; fake
media devices stand in for a camera and microphone, and the permission prompt is
answered yes.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


# The official's desk, counting the frames it decodes from the citizen (its receiver's
# counters every 50 ms: requestVideoFrameCallback follows painting, which headless
# Chromium paces on its own). window.__arrivals: when (s), bounded; window.__size.
DESK_FRAME_COUNTER = """() => {
  window.__arrivals = []; window.__size = [0, 0];
  if (window.__counting) return;
  window.__counting = true;
  let decoded = 0;
  setInterval(async () => {
    const m = window.deskMedia && window.deskMedia();
    if (!m || !m.subscriberPc) return;
    (await m.subscriberPc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      const now = performance.now() / 1000;
      const fresh = Math.max(0, (s.framesDecoded || 0) - decoded);
      decoded = s.framesDecoded || 0;
      // The frames decoded since the last look, spread over its 50 ms.
      for (let i = 0; i < Math.min(fresh, 10); i++) {
        window.__arrivals.push(now - ((fresh - 1 - i) * 0.05) / fresh);
      }
      const extra = window.__arrivals.length - 20000;
      if (extra > 0) window.__arrivals.splice(0, extra);
      if (s.frameWidth) window.__size = [s.frameWidth, s.frameHeight];
    });
  }, 50);
}"""
