from solution import svg_metadata


def _rejects(data):
    try:
        svg_metadata(data)
    except ValueError:
        return True
    return False


def test_reads_size_viewbox_and_title():
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="120px" height="80" viewBox="0 0 120,80.5">
  <title> Company logo </title>
  <rect width="10" height="10"/>
</svg>"""
    assert svg_metadata(data) == {"width": "120px", "height": "80", "viewBox": (0.0, 0.0, 120.0, 80.5),
                                  "title": "Company logo"}


def test_editor_doctype_is_accepted():
    data = b"""<?xml version="1.0" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="-5 -5 10 10"><circle r="4"/></svg>"""
    assert svg_metadata(data) == {"width": None, "height": None, "viewBox": (-5.0, -5.0, 10.0, 10.0),
                                  "title": None}


def test_only_direct_title_child_counts():
    data = b'<svg xmlns="http://www.w3.org/2000/svg"><g><title>inner</title></g></svg>'
    assert svg_metadata(data)["title"] is None


def test_invalid_input_raises_value_error():
    assert _rejects(b"<svg xmlns='http://www.w3.org/2000/svg'>")
    assert _rejects(b"<svg><title>no namespace</title></svg>")
    assert _rejects(b"<html xmlns='http://www.w3.org/2000/svg'/>")
    assert _rejects(b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10'/>")
    assert _rejects(b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 ten 10'/>")
