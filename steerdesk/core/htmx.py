"""htmx helpers (NetBox utilities/htmx.py)."""


def htmx_partial(request) -> bool:
    """True when the request wants a fragment: an htmx request that is not a history restore."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
