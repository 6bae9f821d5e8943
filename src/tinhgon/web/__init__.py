"""The web application: a Vietnamese UI (Jinja2 + HTMX) and a REST API (/api/v1) over the registry."""
