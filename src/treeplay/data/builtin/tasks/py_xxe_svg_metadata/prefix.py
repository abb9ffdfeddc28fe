import re

SVG_NS = "http://www.w3.org/2000/svg"


def svg_metadata(svg_data: bytes) -> dict:
    """Return {"width", "height", "viewBox": (4 floats) or None, "title"} for an uploaded SVG. Accept a
    plain DOCTYPE without fetching it; reject (ValueError) malformed XML, a non-SVG root, a bad viewBox
    and any document declaring entities. Never read external entities, DTDs or other resources."""
