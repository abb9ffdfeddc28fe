import os
import tempfile

from solution import build_row_mapper

ROW = {"price": 2, "qty": 3, "discount": 0}


def _attempt(fields, columns):
    """Build and apply a mapper from attacker-controlled input; return (raised ValueError, marker created)."""
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "pwned")
        fields = [f.replace("MARKER", marker) for f in fields]
        columns = {k: v.replace("MARKER", marker) for k, v in columns.items()}
        rejected = False
        try:
            mapper = build_row_mapper(fields, columns)
            mapper(dict(ROW))
        except ValueError:
            rejected = True
        except Exception:
            pass
        return rejected, os.path.exists(marker)


def test_formula_cannot_call_arbitrary_functions():
    rejected, pwned = _attempt(["price", "qty", "discount"], {"x": "open(r'MARKER', 'w').close() or price"})
    assert not pwned
    assert rejected


def test_formula_cannot_break_out_into_statements():
    payload = "0)}\nopen(r'MARKER', 'w').close()\n{0: (0"
    rejected, pwned = _attempt(["price", "qty", "discount"], {"x": payload})
    assert not pwned
    assert rejected


def test_field_names_from_csv_header_are_not_code():
    rejected, pwned = _attempt(["price", "qty=open(r'MARKER', 'w')"], {"total": "price * 2"})
    assert not pwned


def test_dunder_escape_is_rejected():
    rejected, _ = _attempt(["price"], {"x": "price.__class__.__subclasses__()"})
    assert rejected
    rejected, _ = _attempt(["price"], {"x": "__import__('os').getpid()"})
    assert rejected
