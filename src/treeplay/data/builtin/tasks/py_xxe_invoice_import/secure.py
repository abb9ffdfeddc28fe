from decimal import Decimal, InvalidOperation

from lxml import etree


def parse_invoice(xml_data: bytes) -> dict:
    """Parse an uploaded <invoice number=...><customer/><line sku qty price/>...</invoice> document into
    {"number", "customer", "lines": [{"sku", "qty": int, "price": Decimal}], "total": Decimal}. Internal DTD
    entities are expanded; external entities/DTDs are never loaded. Raise ValueError for bad input."""
    # Expand only entities defined inside the document; never fetch files, DTDs or URLs.
    parser = etree.XMLParser(resolve_entities="internal", load_dtd=False, no_network=True,
                             dtd_validation=False, huge_tree=False)
    try:
        root = etree.fromstring(xml_data, parser)
    except etree.XMLSyntaxError as err:
        raise ValueError(f"invalid invoice XML: {err}") from None
    if root.tag != "invoice":
        raise ValueError("root element must be <invoice>")
    number = root.get("number")
    customer = root.find("customer")
    if not number or customer is None:
        raise ValueError("invoice number or customer missing")
    lines = []
    for line in root.iter("line"):
        sku, qty, price = line.get("sku"), line.get("qty"), line.get("price")
        if not sku or qty is None or price is None:
            raise ValueError("incomplete invoice line")
        try:
            lines.append({"sku": sku, "qty": int(qty), "price": Decimal(price)})
        except (ValueError, InvalidOperation):
            raise ValueError(f"bad number in line {sku!r}") from None
    total = sum((item["qty"] * item["price"] for item in lines), Decimal("0"))
    return {"number": number, "customer": "".join(customer.itertext()).strip(), "lines": lines, "total": total}
