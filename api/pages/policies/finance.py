"""Finance's pages: the finance role only, as the finance API routes."""

FINANCE = ("finance",)

PAGES = {
    "GET /pages/finance": FINANCE,
    "POST /pages/finance/bills": FINANCE,
    "GET /pages/finance/bills/{bill_id}": FINANCE,
    "POST /pages/finance/bills/{bill_id}/resolve": FINANCE,
    "GET /pages/finance/bills/{bill_id}/report.{fmt}": FINANCE,
    "GET /pages/finance/disputes/{carrier}.csv": FINANCE,
    "GET /pages/finance/costs": FINANCE,
}
NAV = [("/pages/finance", "Carrier bills", "finance"), ("/pages/finance/costs", "Costs", "finance")]
