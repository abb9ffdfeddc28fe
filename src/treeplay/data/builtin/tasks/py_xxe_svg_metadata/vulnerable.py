import re

SVG_NS = "http://www.w3.org/2000/svg"


def svg_metadata(svg_data: bytes) -> dict:
    """Return {"width", "height", "viewBox": (4 floats) or None, "title"} for an uploaded SVG. Accept a
    plain DOCTYPE without fetching it; reject (ValueError) malformed XML, a non-SVG root, a bad viewBox
    and any document declaring entities. Never read external entities, DTDs or other resources."""
    from lxml import etree

    # resolve entities so that editor-generated entity references come out as text
    parser = etree.XMLParser(resolve_entities=True, remove_comments=True)
    try:
        root = etree.fromstring(svg_data, parser)
    except etree.XMLSyntaxError as err:
        raise ValueError(f"invalid SVG: {err}") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ValueError("root element is not <svg>")
    view_box = None
    if root.get("viewBox") is not None:
        try:
            view_box = tuple(float(n) for n in re.split(r"[\s,]+", root.get("viewBox").strip()))
        except ValueError:
            raise ValueError("bad viewBox") from None
        if len(view_box) != 4:
            raise ValueError("bad viewBox")
    title = root.find(f"{{{SVG_NS}}}title")
    title_text = None
    if title is not None:
        title_text = (title.text or "").strip()
    return {"width": root.get("width"), "height": root.get("height"), "viewBox": view_box, "title": title_text}
