import os
import tempfile

from solution import svg_metadata

SECRET = "-----BEGIN PRIVATE KEY----- MIIEvQ"


def _secret_file(tmp):
    path = os.path.join(tmp, "server.key")
    with open(path, "w") as f:
        f.write(SECRET + "\n")
    return path


def _result_or_error(data):
    try:
        return svg_metadata(data), None
    except ValueError as err:
        return None, err


def test_external_entity_in_title_is_not_read():
    with tempfile.TemporaryDirectory() as tmp:
        secret = _secret_file(tmp)
        data = f"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file://{secret}">]>
<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><title>&xxe;</title></svg>""".encode()
        result, error = _result_or_error(data)
        assert SECRET not in repr(result)
        assert error is not None


def test_parameter_entity_from_external_dtd_is_not_read():
    with tempfile.TemporaryDirectory() as tmp:
        secret = _secret_file(tmp)
        dtd = os.path.join(tmp, "evil.dtd")
        with open(dtd, "w") as f:
            f.write(f'<!ENTITY % file SYSTEM "file://{secret}">\n'
                    '<!ENTITY % wrap "<!ENTITY leak \'%file;\'>">\n%wrap;\n')
        data = f"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY % remote SYSTEM "file://{dtd}"> %remote;]>
<svg xmlns="http://www.w3.org/2000/svg"><title>&leak;</title></svg>""".encode()
        result, error = _result_or_error(data)
        assert SECRET not in repr(result)
        assert error is not None


def test_entity_declarations_are_rejected():
    data = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<svg xmlns="http://www.w3.org/2000/svg"><title>&b;</title></svg>"""
    result, error = _result_or_error(data)
    assert error is not None, result
