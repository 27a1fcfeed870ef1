"""The outgoing document's state machine: one table of allowed steps.

``draft`` → submit → ``in_review`` → approve → ``approved`` → sign → ``signed`` → issue →
``issued`` → send → ``sent``; ``return`` sends a document in review (or approved, when
the leader returns instead of signing) back to the drafter as ``returned``, who edits and
submits again. An issued or sent document can be ``revoked`` or ``replaced``; a sent one
can be asked back from its recipients (``takeback``, status 13) or get its recipients
changed (``update_recipients``, BussinessDocType 2) — both keep the state ``sent``. Confidential
documents stop at ``issued``: they are never sent electronically.

When the drafter's unit has a head (``head`` role), review runs in two stages inside
``in_review``: the head's approval forwards it to the signer (stage ``leader``); the
signer's approval makes it ``approved``. Any other step is refused with
:class:`~eoffice.core.errors.InvalidTransition` (HTTP 409), for web, API and CLI alike.
"""

from __future__ import annotations

from eoffice.core.errors import InvalidTransition, Translatable

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "edit": (frozenset({"draft", "returned"}), ""),
    "submit": (frozenset({"draft", "returned"}), "in_review"),
    "approve": (frozenset({"in_review"}), "approved"),
    "return": (frozenset({"in_review", "approved"}), "returned"),
    "sign": (frozenset({"approved"}), "signed"),
    "issue": (frozenset({"signed"}), "issued"),
    "send": (frozenset({"issued"}), "sent"),
    "revoke": (frozenset({"issued", "sent"}), "revoked"),
    "replace": (frozenset({"issued", "sent"}), "replaced"),
    "takeback": (frozenset({"sent"}), ""),
    "update_recipients": (frozenset({"sent"}), ""),
}
"""action → (states it is allowed from, resulting state; "" keeps the state)."""

STATUS_LABELS = {
    "draft": "Dự thảo",
    "in_review": "Đang trình duyệt",
    "returned": "Bị trả lại",
    "approved": "Đã duyệt, chờ ký",
    "signed": "Đã ký, chờ ban hành",
    "issued": "Đã ban hành",
    "sent": "Đã gửi",
    "revoked": "Đã thu hồi",
    "replaced": "Đã bị thay thế",
}

VERSION_LABELS = {
    "compose": "Soạn theo mẫu",
    "upload": "Tải lên tệp PDF",
    "docx": "Tải lên tệp DOCX (chuyển sang PDF)",
    "edit": "Sửa dự thảo",
    "signed": "Lãnh đạo ký số",
    "signed_external": "Lãnh đạo ký số bằng thiết bị ký số",
    "issued": "Cấp số, đóng dấu, ban hành",
}
"""Why a version of the PDF was made (``OutgoingVersion.reason``), as the page says it."""

ACTION_LABELS = {
    "create": "Tạo dự thảo",
    "edit": "Cập nhật dự thảo",
    "submit": "Trình duyệt",
    "forward": "Lãnh đạo đơn vị duyệt, trình người ký",
    "approve": "Duyệt",
    "return": "Trả lại",
    "sign": "Ký số",
    "issue": "Ban hành (cấp số, ký số cơ quan)",
    "send": "Gửi qua trục liên thông",
    "resend": "Gửi lại",
    "revoke": "Thu hồi",
    "replace": "Thay thế",
    "takeback": "Đề nghị lấy lại văn bản",
    "takeback_accepted": "Nơi nhận đồng ý cho lấy lại",
    "takeback_refused": "Nơi nhận không đồng ý cho lấy lại",
    "update_recipients": "Cập nhật nơi nhận",
}


def allowed(action: str, status: str) -> bool:
    """Whether ``action`` may happen in ``status``."""
    sources, _target = TRANSITIONS[action]
    return status in sources


def check(action: str, status: str) -> str:
    """The state after ``action`` from ``status``; 409 when the step is not allowed."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise InvalidTransition(
            "Không thể thực hiện “%(action)s” khi văn bản đang ở trạng thái “%(status)s”.",
            params={"action": Translatable(ACTION_LABELS.get(action, action)),
                    "status": Translatable(STATUS_LABELS.get(status, status))},
            details={"action": action, "status": status},
        )
    return target or status
