import ssl


def create_partner_api_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """Build the client-side SSLContext used for HTTPS calls to partner APIs.

    If ca_bundle (path to a PEM file) is given, trust the CAs in that file; otherwise trust the system's
    default CAs. Connections made with the context (wrap_socket/wrap_bio with server_hostname=...) must
    authenticate the server: its certificate chain must be verified and the certificate must match the
    hostname, and nothing older than TLS 1.2 may be negotiated."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS)
    context.options |= ssl.OP_NO_SSLv2 | ssl.OP_NO_SSLv3
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    else:
        context.load_default_certs()
    return context
