"""The citizen's touchscreen: a full-screen Kivy app over state.db and the devices."""
