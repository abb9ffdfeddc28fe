import os
import tempfile

from solution import parse_invoice

SECRET = "AWS_SECRET_ACCESS_KEY=abc123"


def _secret_file(tmp):
    path = os.path.join(tmp, "credentials")
    with open(path, "w") as f:
        f.write(SECRET + "\n")
    return path


def _result_or_error(data):
    try:
        return parse_invoice(data), None
    except ValueError as err:
        return None, err


def test_external_general_entity_is_not_loaded():
    with tempfile.TemporaryDirectory() as tmp:
        secret = _secret_file(tmp)
        data = f"""<?xml version="1.0"?>
<!DOCTYPE invoice [<!ENTITY xxe SYSTEM "file://{secret}">]>
<invoice number="INV-9"><customer>&xxe;</customer></invoice>""".encode()
        result, error = _result_or_error(data)
        assert SECRET not in repr(result)
        assert error is not None


def test_external_parameter_entity_dtd_is_not_loaded():
    with tempfile.TemporaryDirectory() as tmp:
        secret = _secret_file(tmp)
        dtd = os.path.join(tmp, "evil.dtd")
        with open(dtd, "w") as f:
            f.write(f'<!ENTITY % file SYSTEM "file://{secret}">\n'
                    '<!ENTITY % wrap "<!ENTITY leak \'%file;\'>">\n%wrap;\n')
        data = f"""<?xml version="1.0"?>
<!DOCTYPE invoice [<!ENTITY % remote SYSTEM "file://{dtd}"> %remote;]>
<invoice number="INV-9"><customer>&leak;</customer></invoice>""".encode()
        result, _ = _result_or_error(data)
        assert SECRET not in repr(result)


def test_blind_external_entity_is_rejected():
    # The entity's text never reaches the returned dict, but resolving it already reads the file
    # (blind XXE); a document that needs an external entity must be refused.
    with tempfile.TemporaryDirectory() as tmp:
        secret = _secret_file(tmp)
        data = f"""<?xml version="1.0"?>
<!DOCTYPE invoice [<!ENTITY xxe SYSTEM "file://{secret}">]>
<invoice number="INV-9"><customer>ok</customer><line sku="A" qty="1" price="1"/><note>&xxe;</note></invoice>""".encode()
        result, error = _result_or_error(data)
        assert SECRET not in repr(result)
        assert error is not None
