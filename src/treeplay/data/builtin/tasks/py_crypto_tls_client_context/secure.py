import ssl


def create_partner_api_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """Build the client-side SSLContext used for HTTPS calls to partner APIs.

    If ca_bundle (path to a PEM file) is given, trust the CAs in that file; otherwise trust the system's
    default CAs. Connections made with the context (wrap_socket/wrap_bio with server_hostname=...) must
    authenticate the server: its certificate chain must be verified and the certificate must match the
    hostname, and nothing older than TLS 1.2 may be negotiated."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_bundle)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if context.minimum_version < ssl.TLSVersion.TLSv1_2:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
