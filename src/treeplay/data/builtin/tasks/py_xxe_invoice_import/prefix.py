from decimal import Decimal, InvalidOperation

from lxml import etree


def parse_invoice(xml_data: bytes) -> dict:
    """Parse an uploaded <invoice number=...><customer/><line sku qty price/>...</invoice> document into
    {"number", "customer", "lines": [{"sku", "qty": int, "price": Decimal}], "total": Decimal}. Internal DTD
    entities are expanded; external entities/DTDs are never loaded. Raise ValueError for bad input."""
