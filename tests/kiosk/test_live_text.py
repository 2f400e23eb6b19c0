"""Real-time text's line model (kiosk/call/live_text.py): what arrives, character by
character, becomes the line being written; erasing and line ends work as T.140 says."""

from kiosk.call.live_text import BACKSPACE, LINE_END, MAX_LINES, LiveLine, typed_change


def test_characters_build_the_line_and_backspace_erases():
    line = LiveLine()
    for char in "Hei, kiitoss":
        line.apply(char)
    line.apply(BACKSPACE)
    assert line.current == "Hei, kiitos"


def test_a_line_end_finishes_the_line_and_only_the_last_lines_stay():
    line = LiveLine()
    for n in range(MAX_LINES + 2):
        line.apply(f"rivi {n}{LINE_END}")
    assert line.current == ""
    assert line.finished == [f"rivi {n}" for n in range(2, MAX_LINES + 2)]


def test_control_characters_are_dropped():
    line = LiveLine()
    line.apply("a\x1b[31mb\x00c")
    assert line.current == "a[31mbc"


def test_a_text_box_change_is_sent_as_erase_then_type():
    assert typed_change("kiitos", "kiitos!") == "!"
    assert typed_change("kiitos", "kiito") == BACKSPACE
    assert typed_change("kissa", "kiitos") == BACKSPACE * 3 + "itos"
    line = LiveLine()
    line.apply("kissa")
    line.apply(typed_change("kissa", "kiitos"))
    assert line.current == "kiitos"
