"""The logistics health dashboard: whoever may read GET /v1/metrics/health sees it; only an
admin sets a target, as with PUT /v1/admin/metrics/{metric}/target."""

READERS = ("finance", "admin")

PAGES = {
    "GET /pages/dashboard": READERS,
    "POST /pages/dashboard/targets": ("admin",),
}
NAV = [("/pages/dashboard", "Logistics health", "dashboard")]
