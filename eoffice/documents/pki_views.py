"""``/pki/``: the development PKI's public services (no sign-in): the trust anchor,
certificates, CRLs, an OCSP responder (POST and RFC 6960 GET) and an RFC 3161 TSA."""

from __future__ import annotations

from flask import Blueprint, Response, request

from eoffice.documents.keys import get_pki

bp = Blueprint("pki", __name__, url_prefix="/pki")


@bp.route("/<path:path>", methods=["GET", "POST"])
def serve(path: str) -> Response:
    """Route a PKI request to the dev PKI's request → response functions."""
    body = request.get_data() if request.method == "POST" else None
    answer = get_pki().handle(path, body)
    return Response(answer.body, status=answer.status, mimetype=answer.content_type)
