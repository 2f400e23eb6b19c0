"""Smart card readers through PC/SC."""
