from decimal import Decimal

from solution import parse_invoice

INVOICE = b"""<?xml version="1.0" encoding="UTF-8"?>
<invoice number="INV-1001">
  <customer> Northwind Traders </customer>
  <line sku="A1" qty="2" price="9.50"/>
  <line sku="B7" qty="1" price="120.00"/>
</invoice>"""


def _rejects(data):
    try:
        parse_invoice(data)
    except ValueError:
        return True
    return False


def test_parses_a_plain_invoice():
    inv = parse_invoice(INVOICE)
    assert inv == {
        "number": "INV-1001",
        "customer": "Northwind Traders",
        "lines": [{"sku": "A1", "qty": 2, "price": Decimal("9.50")},
                  {"sku": "B7", "qty": 1, "price": Decimal("120.00")}],
        "total": Decimal("139.00"),
    }


def test_internal_entities_are_expanded():
    data = b"""<?xml version="1.0"?>
<!DOCTYPE invoice [
  <!ENTITY company "ACME Corp">
  <!ENTITY dept "Purchasing">
]>
<invoice number="INV-2"><customer>&company; / &dept;</customer><line sku="Z" qty="3" price="1.25"/></invoice>"""
    inv = parse_invoice(data)
    assert inv["customer"] == "ACME Corp / Purchasing"
    assert inv["total"] == Decimal("3.75")


def test_invoice_without_lines_has_zero_total():
    inv = parse_invoice(b'<invoice number="INV-3"><customer>X</customer></invoice>')
    assert inv["lines"] == [] and inv["total"] == Decimal("0")


def test_invalid_documents_raise_value_error():
    assert _rejects(b"<invoice number='1'><customer>x</customer>")
    assert _rejects(b"<order number='1'><customer>x</customer></order>")
    assert _rejects(b"<invoice number='1'><customer>x</customer><line sku='a' qty='two' price='1'/></invoice>")
    assert _rejects(b"<invoice number='1'><line sku='a' qty='1' price='1'/></invoice>")
