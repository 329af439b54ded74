"""The customs desk: the customs team only, as the customs API routes."""

CUSTOMS = ("customs",)

PAGES = {
    "GET /pages/customs": CUSTOMS,
    "GET /pages/customs/declarations/{declaration_id}": CUSTOMS,
    "GET /pages/customs/declarations/{declaration_id}/documents/{kind}": CUSTOMS,
    "POST /pages/customs/declarations/{declaration_id}/approve": CUSTOMS,
    "POST /pages/customs/declarations/{declaration_id}/reject": CUSTOMS,
    "POST /pages/customs/declarations/{declaration_id}/amend": CUSTOMS,
    "POST /pages/customs/declarations/{declaration_id}/amend/preview": CUSTOMS,
}
NAV = [("/pages/customs", "Customs desk", "customs")]
