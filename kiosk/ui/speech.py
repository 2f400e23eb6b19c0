"""Speech output through espeak-ng, in the display language.

One utterance at a time: a new one stops the one playing, as a screen reader
does. Every run has a timeout. With `wav_dir` set, speech goes to numbered
WAV files instead of the sound card (tests, and kiosks without a speaker
during installation). What was said is kept in a short log that the session
wipes, because it can contain a citizen's booking details.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections import deque
from pathlib import Path

log = logging.getLogger(__name__)
# espeak-ng has no Sámi voice; Finnish reads Sámi's largely phonemic spelling best.
VOICES = {"fi": "fi", "sv": "sv", "en": "en-gb", "se": "fi", "smn": "fi", "sms": "fi"}
MAX_SECONDS = 30


class Speaker:
    def __init__(
        self, command: str = "espeak-ng", wav_dir: Path | None = None, words_per_minute: int = 150
    ) -> None:
        self.command = shutil.which(command)
        self.wav_dir = wav_dir
        self.words_per_minute = words_per_minute
        self.spoken: deque[tuple[str, str]] = deque(maxlen=50)
        self._playing: subprocess.Popen[bytes] | None = None
        self._count = 0

    @property
    def available(self) -> bool:
        return self.command is not None

    def say(self, text: str, language: str) -> None:
        self.stop()
        self.spoken.append((language, text))
        if not self.command or not text.strip():
            return
        argv = [
            self.command,
            "-v",
            VOICES.get(language, language),
            "-s",
            str(self.words_per_minute),
        ]
        if self.wav_dir is not None:
            self.wav_dir.mkdir(parents=True, exist_ok=True)
            self._count += 1
            argv += ["-w", str(self.wav_dir / f"{self._count:05d}-{language}.wav")]
        try:
            self._playing = subprocess.Popen(
                [*argv, "--", text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            log.warning("speech unavailable: %s", exc)

    def wait(self, timeout_s: float = MAX_SECONDS) -> None:
        if self._playing is not None:
            try:
                self._playing.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.stop()

    def stop(self) -> None:
        if self._playing is not None and self._playing.poll() is None:
            self._playing.terminate()
            try:
                self._playing.wait(2)
            except subprocess.TimeoutExpired:
                self._playing.kill()
        self._playing = None

    def forget(self) -> None:
        self.stop()
        self.spoken.clear()
