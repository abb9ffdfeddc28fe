from decimal import Decimal, InvalidOperation

from lxml import etree


def parse_invoice(xml_data: bytes) -> dict:
    """Parse an uploaded <invoice number=...><customer/><line sku qty price/>...</invoice> document into
    {"number", "customer", "lines": [{"sku", "qty": int, "price": Decimal}], "total": Decimal}. Internal DTD
    entities are expanded; external entities/DTDs are never loaded. Raise ValueError for bad input."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=True)
    try:
        root = etree.fromstring(xml_data, parser)
    except etree.XMLSyntaxError as err:
        raise ValueError(f"invalid invoice XML: {err}") from None
    if root.tag != "invoice":
        raise ValueError("root element must be <invoice>")
    customer = root.find("customer")
    if root.get("number") is None or customer is None:
        raise ValueError("invoice number or customer missing")
    lines = []
    try:
        for line in root.findall("line"):
            lines.append({"sku": line.attrib["sku"], "qty": int(line.attrib["qty"]),
                          "price": Decimal(line.attrib["price"])})
    except (KeyError, ValueError, InvalidOperation) as err:
        raise ValueError(f"bad invoice line: {err}") from None
    total = sum((item["qty"] * item["price"] for item in lines), Decimal("0"))
    return {"number": root.get("number"), "customer": "".join(customer.itertext()).strip(),
            "lines": lines, "total": total}
