import re

SVG_NS = "http://www.w3.org/2000/svg"


def svg_metadata(svg_data: bytes) -> dict:
    """Return {"width", "height", "viewBox": (4 floats) or None, "title"} for an uploaded SVG. Accept a
    plain DOCTYPE without fetching it; reject (ValueError) malformed XML, a non-SVG root, a bad viewBox
    and any document declaring entities. Never read external entities, DTDs or other resources."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        # defusedxml refuses entity declarations and external references; expat never loads DTDs
        root = SafeET.fromstring(svg_data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException) as err:
        raise ValueError(f"rejected SVG: {err}") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ValueError("root element is not <svg>")
    view_box = root.get("viewBox")
    numbers = None
    if view_box is not None:
        parts = [p for p in re.split(r"[\s,]+", view_box.strip()) if p]
        try:
            numbers = tuple(float(p) for p in parts)
        except ValueError:
            raise ValueError(f"bad viewBox {view_box!r}") from None
        if len(numbers) != 4:
            raise ValueError(f"bad viewBox {view_box!r}")
    title = root.find(f"{{{SVG_NS}}}title")
    return {
        "width": root.get("width"),
        "height": root.get("height"),
        "viewBox": numbers,
        "title": (title.text or "").strip() if title is not None else None,
    }
