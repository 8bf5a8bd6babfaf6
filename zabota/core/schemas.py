"""Base of every API response shape."""

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """Plain pydantic (not ninja.Schema): responses are validated from presenters' dicts, and
    ninja's attribute-resolving validator costs several ms on a 50-row page."""

    model_config = ConfigDict(from_attributes=True)
