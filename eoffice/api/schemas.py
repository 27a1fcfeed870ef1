"""Request and response schemas shared by the API modules."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Integer, List, Nested, String
from apiflask.validators import Length


class ErrorBody(Schema):
    code = String(required=True)
    message = String(required=True)


class Error(Schema):
    error = Nested(ErrorBody, required=True)


class TokenIn(Schema):
    username = String(required=True, validate=Length(min=1, max=64))
    password = String(required=True, validate=Length(min=1, max=200))


class TokenOut(Schema):
    token = String(required=True)
    expires_at = DateTime(required=True)


class MeOut(Schema):
    username = String()
    full_name = String()
    title = String()
    org_code = String(allow_none=True)
    org_name = String()
    unit = String(allow_none=True)
    roles = List(String())


class OrgOut(Schema):
    code = String(allow_none=True)
    name = String()
    short_name = String()
    tier = String()
    parent_code = String(allow_none=True)
    locality = String()
    active = Boolean()
    valid_from = Date(allow_none=True)
    valid_to = Date(allow_none=True)


class OrgIn(Schema):
    code = String(load_default=None, validate=Length(max=35))
    name = String(required=True, validate=Length(min=1, max=200))
    short_name = String(required=True, validate=Length(min=1, max=30))
    tier = String(required=True)
    parent_code = String(load_default=None)
    locality = String(load_default="")
    valid_from = Date(load_default=None)


class OrgPatch(Schema):
    name = String(validate=Length(min=1, max=200))
    short_name = String(validate=Length(min=1, max=30))
    locality = String()
    address = String()
    email = String()
    phone = String()


class RetireIn(Schema):
    on = Date(required=True)


class UserOut(Schema):
    id = Integer()
    username = String()
    full_name = String()
    title = String()
    org_code = String(allow_none=True)
    roles = List(String())
    active = Boolean()


class UserIn(Schema):
    username = String(required=True)
    password = String(required=True)
    full_name = String(required=True)
    title = String(load_default="")
    email = String(load_default="")
    org_code = String(required=True)
    roles = List(String(), required=True)


class Page(Schema):
    total = Integer()
    page = Integer()
    per_page = Integer()


class UserPage(Page):
    items = List(Nested(UserOut))


class PageQuery(Schema):
    page = Integer(load_default=1)
    per_page = Integer(load_default=50)
