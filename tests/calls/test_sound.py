"""The call's sound on a real PipeWire: the kiosk's speaker, its microphone, and the echo
canceller between them (the drop-in a kiosk ships, systemd/pipewire/).

No sound card here: devtools/sound_room.py makes the room, a null sink as the speaker and
a loopback from it into a source as the air to the microphone. What is tested is what
the kiosk does with it, through its own classes: `CallSpeaker` plays the official's
voice, `open_microphone` gives the track aiortc sends.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from av import AudioFrame

from devtools.sound_room import SoundRoom, start_sound_room
from kiosk.call.media import CallSpeaker, open_microphone
from kiosk.call.pulse import PIECE, RATE, PulseStream
from tests.support.media_files import speech_like

pytestmark = pytest.mark.slow


@pytest.fixture
def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoundRoom]:
    sound = start_sound_room(tmp_path / "sound")
    for name, value in sound.env().items():
        monkeypatch.setenv(name, value)
    yield sound
    sound.stop()


def frames_of(samples: np.ndarray) -> Iterator[AudioFrame]:
    """20 ms frames as aiortc's Opus decoder gives them (s16, stereo, 48 kHz)."""
    for start in range(0, samples.size - PIECE + 1, PIECE):
        piece = samples[start : start + PIECE]
        frame = AudioFrame.from_ndarray(
            np.repeat(piece, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = RATE
        yield frame


def play_as_the_call_does(speaker: CallSpeaker, samples: np.ndarray) -> None:
    """Frames at the pace they arrive in a call (every 20 ms), not all at once."""
    due = time.monotonic()
    for frame in frames_of(samples):
        speaker.play(frame)
        due += PIECE / RATE
        time.sleep(max(0.0, due - time.monotonic()))


class Recording:
    """What a source hears, second by second, on a thread of its own."""

    def __init__(self, device: str) -> None:
        self._stream = PulseStream(device, record=True, name=f"test {device}")
        self._pieces: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._pieces.append(self._stream.read())
        self._stream.close()

    def stop(self) -> np.ndarray:
        self._stop.set()
        self._thread.join(timeout=5)
        return np.frombuffer(b"".join(self._pieces), np.int16).astype(np.float64)


class OutgoingAudio:
    """The kiosk's outgoing audio: the track aiortc would send, read on its own loop."""

    def __init__(self, spec: str) -> None:
        track = open_microphone(spec)
        assert track is not None, f"{spec} did not open"
        self.track = track
        self._frames: list[np.ndarray] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._run(),))
        self._running = True
        self._thread.start()

    async def _run(self) -> None:
        while self._running:
            frame = await self.track.recv()
            self._frames.append(frame.to_ndarray().reshape(-1))

    def stop(self) -> np.ndarray:
        self._running = False
        self._thread.join(timeout=5)
        self.track.stop()
        return np.concatenate(self._frames).astype(np.float64)


def level_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples**2)) + 1e-3))


def seconds(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return samples[int(start * RATE) : int(end * RATE)]


def test_the_far_end_is_cancelled_from_the_kiosks_outgoing_audio(room: SoundRoom) -> None:
    """The official's voice, played by the kiosk's speaker, reaches its microphone through
    the air (the raw microphone hears it), but the track the kiosk sends has it
    attenuated by the echo canceller; the citizen's own voice still goes out."""
    speaker = CallSpeaker("pulse:kiosk-echo-cancel-sink", volume=1.0)
    assert speaker.available
    citizen = PulseStream("room-speaker", record=False, name="the citizen's voice")
    raw = Recording("room-mic")
    outgoing = OutgoingAudio("pulse:kiosk-echo-cancel-source")
    try:
        # 0-6 s the official talks; 6-10 s the citizen alone (not through the speaker's
        # reference: their voice reaches the microphone only through the air).
        play_as_the_call_does(speaker, speech_like(6, seed=1, pitch_hz=140))
        voice = speech_like(4, seed=2, pitch_hz=210)
        for start in range(0, voice.size, PIECE):
            citizen.write(voice[start : start + PIECE].tobytes())
        time.sleep(0.3)
    finally:
        heard, sent = raw.stop(), outgoing.stop()
        speaker.close()
        citizen.close()
    # Both recordings began at the same moment within a few ms; compare whole seconds.
    far_raw, far_sent = seconds(heard, 2, 5.5), seconds(sent, 2, 5.5)
    near_raw, near_sent = seconds(heard, 6.5, 9.5), seconds(sent, 6.5, 9.5)
    assert level_db(far_raw) > 55, "the speaker's sound did not reach the microphone"
    echo_loss = level_db(far_raw) - level_db(far_sent)
    near_loss = level_db(near_raw) - level_db(near_sent)
    print(f"far end attenuated {echo_loss:.1f} dB, citizen's voice {near_loss:.1f} dB")
    assert echo_loss >= 20, f"the far end is only {echo_loss:.1f} dB quieter in what is sent"
    assert near_loss <= 10, f"the citizen's own voice lost {near_loss:.1f} dB"


def test_the_speaker_plays_at_the_citizens_volume(room: SoundRoom) -> None:
    """Louder and Quieter on the call screen change what the speaker plays."""
    speaker = CallSpeaker("pulse:room-speaker", volume=1.0)
    levels = []
    try:
        for volume in (1.0, 0.25):
            speaker.volume = volume
            heard = Recording("room-mic")
            play_as_the_call_does(speaker, speech_like(2, seed=3, pitch_hz=180))
            time.sleep(0.2)
            levels.append(level_db(seconds(heard.stop(), 0.5, 1.8)))
    finally:
        speaker.close()
    assert levels[0] > 55, "nothing came out of the speaker"
    assert 9 <= levels[0] - levels[1] <= 15, f"a quarter of the volume: {levels}"


def test_a_missing_sound_device_is_a_missing_device_not_a_crash(room: SoundRoom) -> None:
    assert open_microphone("pulse:no-such-source") is None
    assert not CallSpeaker("pulse:no-such-sink").available
    assert open_microphone("none") is None
