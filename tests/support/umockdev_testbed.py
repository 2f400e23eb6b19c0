"""umockdev's testbed through ctypes: fake devices in /sys and real uevents to udev
listeners, in a process started under `umockdev-wrapper` (its LD_PRELOAD library
redirects /sys, /dev and the udev netlink socket to the testbed)."""

from __future__ import annotations

import ctypes

_lib = ctypes.CDLL("libumockdev.so.0")
_lib.umockdev_testbed_new.restype = ctypes.c_void_p
_lib.umockdev_testbed_add_devicev.restype = ctypes.c_char_p
_lib.umockdev_testbed_add_devicev.argtypes = [
    ctypes.c_void_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.POINTER(ctypes.c_char_p),
    ctypes.POINTER(ctypes.c_char_p),
]
_lib.umockdev_testbed_uevent.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
_lib.umockdev_testbed_remove_device.argtypes = [ctypes.c_void_p, ctypes.c_char_p]


def _strv(pairs: dict[str, str]) -> ctypes.Array[ctypes.c_char_p]:
    flat = [item.encode() for pair in pairs.items() for item in pair]
    return (ctypes.c_char_p * (len(flat) + 1))(*flat, None)


class Testbed:
    def __init__(self) -> None:
        self._testbed = _lib.umockdev_testbed_new()

    def add(self, subsystem: str, name: str, properties: dict[str, str]) -> bytes:
        """A device that is there (no event); returns its sysfs path."""
        path = _lib.umockdev_testbed_add_devicev(
            self._testbed, subsystem.encode(), name.encode(), None, _strv({}), _strv(properties)
        )
        if not path:
            raise RuntimeError(f"umockdev could not add {subsystem}/{name}")
        return path

    def plug(self, subsystem: str, name: str, properties: dict[str, str]) -> bytes:
        path = self.add(subsystem, name, properties)
        _lib.umockdev_testbed_uevent(self._testbed, path, b"add")
        return path

    def unplug(self, path: bytes) -> None:
        _lib.umockdev_testbed_uevent(self._testbed, path, b"remove")
        _lib.umockdev_testbed_remove_device(self._testbed, path)
