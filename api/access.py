"""Who may call what: one access policy per route, declared here, and the guard built from them.

`POLICIES` maps each route ("METHOD /path", as the router spells the path) to its `Policy`: the
roles that may call it and, for a route about one object, how that object's owner (channel,
warehouse, carrier) is found from the path. The application (api/fast_intake.py, `CrossdockAPI`)
matches each request against an `AccessTable` of its routes and `admit`s it before FastAPI runs
the route: it authenticates the key (401), throttles it (429), checks the role (403) and, for a
key bound to a channel, warehouse or carrier, that the object is its own. Another tenant's object
answers exactly as an object that does not exist (404). All of it runs on the matched route and
its path parameters, before the request body is read or validated. A route with no policy here is
refused (403) and fails tests/e2e/test_access.py; a key role allowed on a route must say how its
scope applies (`owner`, `confined` or `shared`), or the application does not start.

The lean intake dispatcher in api/fast_intake.py admits pushes through `admit`, same policy.
`render_matrix` prints the table README.md's "Who may call what" shows (`crossdock access-matrix`).

A new router declares its routes below (one line each) and is included in api/app.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from re import Pattern
from typing import Any
from uuid import UUID

from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path

from api.auth import ROLES, SCOPED, Principal
from api.deps import Services, authorize, bearer_credentials
from api.pages.policies import PAGES
from api.pages.session import page_principal
from domains.common import DomainError, NotFound
from domains.crossdock import Crossdock
from domains.customs.model import InboundDeclaration
from domains.orders.model import Order
from domains.warehouse.picking import PickList


# ---------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Owners:
    """Who an object belongs to: its channel(s), warehouse(s) and carrier(s)."""

    channels: frozenset[str] = frozenset()
    warehouses: frozenset[str] = frozenset()
    carriers: frozenset[str] = frozenset()

    def of(self, role: str) -> frozenset[str]:
        return {
            "connector": self.channels,
            "warehouse": self.warehouses,
            "carrier": self.carriers,
        }.get(role, frozenset())


@dataclass(frozen=True)
class Owner:
    """How a route's object and its owners are found from the request's parameters.
    `resolve` raises NotFound (or another DomainError) when there is no such object; `kind`
    names the object in the 404, so another tenant's object reads as a missing one."""

    kind: str
    param: str
    describe: str
    resolve: Callable[[Crossdock, str], Owners]
    lookup: bool = True  # reads the store (run in a worker thread)
    default: str = ""  # the value when the path has no such parameter


@dataclass(frozen=True)
class Policy:
    """`roles` may call the route. A key bound to a tenant (connector, warehouse, carrier) is
    confined by `owner` (the object in the path is its own, else 404), by `confined` (what the
    handler keeps it to: a listing of its own, a warehouse named in the body...), or the data
    is `shared` (reference data, quotes: nobody's in particular), with every role (True) or
    with the roles named."""

    roles: tuple[str, ...] = ()
    owner: Owner | None = None
    confined: str | None = None
    shared: bool | tuple[str, ...] = False
    public: bool = False
    page: bool = False  # a browser page: signed in by session cookie (api/pages/session.py)

    def shared_with(self, role: str) -> bool:
        return self.shared is True or (isinstance(self.shared, tuple) and role in self.shared)


PUBLIC = Policy(public=True)


def _param(kind: str, dimension: str) -> Callable[[str], Owner]:
    def owner(param: str) -> Owner:
        return Owner(
            kind,
            param,
            f"the {kind} in the path",
            lambda _app, value: Owners(**{dimension: frozenset([value])}),
            lookup=False,
        )

    return owner


channel_in_path = _param("channel", "channels")
warehouse_in_path = _param("warehouse", "warehouses")
carrier_in_path = _param("carrier", "carriers")


def _uuid(kind: str, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(kind, value) from None


def _shipment_owners(order: Order, shipment_no: int) -> Owners:
    for s in order.shipments:
        if s["shipment_no"] == shipment_no:
            entry = order.fulfilment.get(str(shipment_no), {})
            choice = (entry.get("carrier") or {}).get("choice") or {}
            carrier = choice.get("carrier") or entry.get("carrier_code")
            return Owners(
                frozenset([order.channel]),
                frozenset([s["warehouse_id"]]),
                frozenset([carrier] if carrier else []),
            )
    raise NotFound("shipment", f"{order.id}-S{shipment_no}")


def _order(app: Crossdock, value: str) -> Owners:
    order = app.orders.get_order(_uuid("order", value))
    carriers: set[str] = set()
    warehouses: set[str] = set()
    for s in order.shipments:
        owners = _shipment_owners(order, s["shipment_no"])
        carriers |= owners.carriers
        warehouses |= owners.warehouses
    return Owners(frozenset([order.channel]), frozenset(warehouses), frozenset(carriers))


def _shipment(app: Crossdock, value: str) -> Owners:
    order_part, _, number = value.rpartition("-S")
    try:
        order_id, shipment_no = UUID(order_part), int(number)
    except ValueError:
        raise NotFound("shipment", value) from None
    return _shipment_owners(app.orders.get_order(order_id), shipment_no)


def _declaration(app: Crossdock, value: str) -> Owners:
    d = app.customs.get_declaration(_uuid("declaration", value))
    if isinstance(d, InboundDeclaration):  # an inbound's import declaration: its warehouse's
        return Owners(warehouses=frozenset([d.warehouse_id]))
    return _shipment_owners(app.orders.get_order(UUID(d.order_id)), d.shipment_no)


def _pick_list(app: Crossdock, value: str) -> Owners:
    task = app.warehouse.store.get_or_none(_uuid("pick list", value))
    if not isinstance(task, PickList):
        raise NotFound("pick list", value)
    return Owners(warehouses=frozenset([task.warehouse_id]))


def _inbound(app: Crossdock, value: str) -> Owners:
    return Owners(warehouses=frozenset([app.inbound.get(value).warehouse_id]))


def _return(app: Crossdock, value: str) -> Owners:
    r = app.returns.get(value)
    return Owners(
        channels=frozenset([r.channel]),
        warehouses=frozenset([r.warehouse_id] if r.warehouse_id else []),
    )


RETURN = Owner("return", "return_id", "the return's order channel and receiving warehouse", _return)
ORDER = Owner("order", "order_id", "the order's channel; its shipments' warehouses", _order)
SHIPMENT = Owner(
    "shipment", "shipment_id", "the shipment's order channel, warehouse and carrier", _shipment
)
DECLARATION = Owner(
    "declaration",
    "declaration_id",
    "the declared shipment's channel, warehouse and carrier",
    _declaration,
)
PICK_LIST = Owner("pick list", "task_id", "the pick list's warehouse", _pick_list)
INBOUND = Owner("inbound shipment", "inbound_id", "the inbound's destination warehouse", _inbound)

# The dealer channel's own routes: the channel is not in their paths.
DEALER_CHANNEL = Owner(
    "channel",
    "channel",  # not in these paths: the routes are the dealer channel's
    "the dealer channel",
    lambda _app, value: Owners(channels=frozenset([value])),
    lookup=False,
    default="dealer",
)

# Role sets used more than once below.
READERS = ("connector", "warehouse", "customs", "finance", "admin")
FLOOR = ("warehouse", "admin")
ANYONE = ("connector", "warehouse", "customs", "finance", "admin")
CUSTOMS = ("customs",)
FINANCE = ("finance",)
ADMIN = ("admin",)
OWN_WAREHOUSE = "its own warehouse (another named in the body or query: 404)"

POLICIES: dict[str, Policy] = {
    # ------------------------------------------------------------------ public
    "GET /healthz": PUBLIC,
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    # ------------------------------------------------------------------ api/routes_orders.py
    "POST /v1/channels/{channel}/orders": Policy(
        ("connector", "admin"), owner=channel_in_path("channel")
    ),
    "POST /v1/channels/dealer/orders:csv": Policy(("connector", "admin"), owner=DEALER_CHANNEL),
    "GET /v1/orders": Policy(READERS, confined="lists its own channel's or warehouse's orders"),
    "GET /v1/orders/{order_id}": Policy(READERS, owner=ORDER),
    "GET /v1/orders/{order_id}/events": Policy(READERS, owner=ORDER),
    "POST /v1/orders/{order_id}/release": Policy(ADMIN, owner=ORDER),
    "POST /v1/orders/{order_id}/cancel": Policy(ADMIN, owner=ORDER),
    "GET /v1/orders/channel-exceptions": Policy(ADMIN),
    "POST /v1/orders/{order_id}/channel-updates/{update_no}/resolve": Policy(ADMIN, owner=ORDER),
    # ------------------------------------------------------------------ api/routes_presale.py
    "PUT /v1/admin/presale": Policy(ADMIN),
    "GET /v1/admin/presale": Policy(ADMIN),
    "GET /v1/backorders": Policy(ADMIN),
    "POST /v1/backorders/release": Policy(ADMIN),
    # ------------------------------------------------------------------ api/routes_risk.py
    "PUT /v1/admin/risk-settings": Policy(ADMIN),
    "GET /v1/admin/risk-settings": Policy(ADMIN),
    # ------------------------------------------------------------------ api/routes_reference.py
    "PUT /v1/admin/warehouses/{code}": Policy(ADMIN),
    "PUT /v1/admin/products/{sku}": Policy(ADMIN),
    "PUT /v1/admin/dealers/{code}": Policy(ADMIN),
    "PUT /v1/admin/prohibited-goods": Policy(ADMIN),
    "POST /v1/admin/stock-receipts": Policy(ADMIN),
    "GET /v1/reference": Policy(
        ("admin", "customs", "finance", "warehouse", "connector"), shared=True
    ),
    "GET /v1/admin/dealers/{code}": Policy(("admin", "finance")),
    # ------------------------------------------------------------------ api/routes_dealer_profiles.py
    # No key is bound to one dealer (a connector key is the whole dealer portal's), so only an
    # admin saves a profile; the dealer channel's connector may read them (which profile reads
    # a file, and how).
    "POST /v1/dealers/{dealer_id}/import-profiles": Policy(ADMIN),
    "PUT /v1/dealers/{dealer_id}/import-profiles/{profile_id}": Policy(ADMIN),
    "GET /v1/dealers/{dealer_id}/import-profiles": Policy(
        ("admin", "connector"), owner=DEALER_CHANNEL
    ),
    "GET /v1/dealers/{dealer_id}/import-profiles/{profile_id}": Policy(
        ("admin", "connector"), owner=DEALER_CHANNEL
    ),
    "GET /v1/stock": Policy(
        ("admin", "warehouse", "connector", "customs", "finance"),
        confined="a warehouse key lists its own warehouse's stock",
        shared=("connector",),
    ),
    # ------------------------------------------------------------------ api/routes_warehouse.py
    "POST /v1/handheld/receipts": Policy(FLOOR, confined=OWN_WAREHOUSE),
    "GET /v1/handheld/putaway": Policy(FLOOR, confined=OWN_WAREHOUSE),
    "POST /v1/handheld/counts": Policy(FLOOR, confined=OWN_WAREHOUSE),
    "POST /v1/warehouses/{warehouse_id}/waves": Policy(
        FLOOR, owner=warehouse_in_path("warehouse_id")
    ),
    "GET /v1/handheld/tasks/next": Policy(
        ("warehouse",), confined="its own warehouse's pick lists"
    ),
    "GET /v1/handheld/tasks/{task_id}": Policy(FLOOR, owner=PICK_LIST),
    "POST /v1/handheld/tasks/{task_id}/scans": Policy(("warehouse",), owner=PICK_LIST),
    "POST /v1/handheld/tasks/{task_id}/shorts": Policy(("warehouse",), owner=PICK_LIST),
    "POST /v1/handheld/shipments/{shipment_id}/pack": Policy(FLOOR, owner=SHIPMENT),
    "GET /v1/warehouses/{warehouse_id}/expiry": Policy(
        FLOOR, owner=warehouse_in_path("warehouse_id")
    ),
    "GET /v1/warehouses/{warehouse_id}/replenishment": Policy(
        FLOOR, owner=warehouse_in_path("warehouse_id")
    ),
    # ------------------------------------------------------------------ api/routes_transport.py
    "POST /v1/admin/rate-cards": Policy(ADMIN),
    "GET /v1/rate-cards": Policy(ANYONE, shared=True),
    "POST /v1/rates/quote": Policy(ANYONE, shared=True),
    "POST /v1/shipments/{shipment_id}/carrier": Policy(FLOOR, owner=SHIPMENT),
    "POST /v1/shipments/{shipment_id}/label": Policy(FLOOR, owner=SHIPMENT),
    "GET /v1/shipments/{shipment_id}/label": Policy(FLOOR, owner=SHIPMENT),
    "POST /v1/shipments/{shipment_id}/void": Policy(FLOOR, owner=SHIPMENT),
    "POST /v1/shipments/{shipment_id}/dispatch": Policy(FLOOR, owner=SHIPMENT),
    "POST /v1/carriers/{carrier}/tracking": Policy(
        ("carrier", "admin"), owner=carrier_in_path("carrier")
    ),
    "POST /v1/exceptions/check": Policy(ADMIN),
    "GET /v1/exceptions": Policy(
        ("admin", "warehouse", "customs"), confined="lists its own warehouse's exceptions"
    ),
    "GET /v1/carriers/scorecards": Policy(("admin", "finance", "warehouse"), shared=True),
    "GET /v1/carriers/recommendations": Policy(("admin", "finance", "warehouse"), shared=True),
    # ------------------------------------------------------------------ api/routes_customs.py
    "PUT /v1/admin/customs-rules": Policy(("admin", "customs")),
    "GET /v1/customs/declarations": Policy(CUSTOMS),
    # api/routes_hs.py: advice over the public nomenclature, nobody's data
    "POST /v1/customs/hs-suggestions": Policy(("customs", "admin")),
    "GET /v1/customs/declarations/{declaration_id}": Policy(CUSTOMS, owner=DECLARATION),
    "POST /v1/customs/declarations/{declaration_id}/approve": Policy(CUSTOMS, owner=DECLARATION),
    "POST /v1/customs/declarations/{declaration_id}/reject": Policy(CUSTOMS, owner=DECLARATION),
    "POST /v1/customs/declarations/{declaration_id}/amend": Policy(CUSTOMS, owner=DECLARATION),
    "POST /v1/customs/declarations/{declaration_id}/clearance": Policy(
        ("customs", "carrier"), owner=DECLARATION
    ),
    "GET /v1/customs/declarations/{declaration_id}/documents/{kind}": Policy(
        ("customs", "warehouse", "admin"), owner=DECLARATION
    ),
    "GET /v1/customs/clearance-delays": Policy(CUSTOMS),
    "POST /v1/quotes/landed-cost": Policy(
        ("connector", "customs", "finance", "admin"), shared=True
    ),
    # ------------------------------------------------------------------ api/routes_settlement.py
    "GET /v1/finance/costs": Policy(FINANCE),
    "GET /v1/finance/orders/{order_id}/costs": Policy(FINANCE, owner=ORDER),
    "POST /v1/finance/carrier-bills": Policy(FINANCE),
    "GET /v1/finance/carrier-bills": Policy(FINANCE),
    "GET /v1/finance/carrier-bills/{bill_id}": Policy(FINANCE),
    "POST /v1/finance/carrier-bills/{bill_id}/discrepancies": Policy(FINANCE),
    "POST /v1/finance/carrier-bills/{bill_id}/discrepancies/{number}": Policy(FINANCE),
    "GET /v1/finance/carrier-bills/{bill_id}/report.{fmt}": Policy(FINANCE),
    "GET /v1/finance/disputes/{carrier}.csv": Policy(FINANCE),
    # ------------------------------------------------------------------ api/routes_inbound.py
    "POST /v1/admin/inbound": Policy(ADMIN),
    "POST /v1/admin/inbound:packing-list": Policy(ADMIN),
    "GET /v1/inbound": Policy(FLOOR, confined="a warehouse key lists its own warehouse's"),
    "GET /v1/inbound/{inbound_id}": Policy(FLOOR, owner=INBOUND),
    "POST /v1/admin/inbound/{inbound_id}/stages": Policy(ADMIN),
    "POST /v1/admin/inbound/{inbound_id}/arrival": Policy(ADMIN),
    "POST /v1/admin/inbound/{inbound_id}/cancel": Policy(ADMIN),
    "PUT /v1/admin/inbound/{inbound_id}/costs": Policy(ADMIN),
    "POST /v1/admin/inbound/{inbound_id}/customs": Policy(ADMIN),
    "POST /v1/admin/inbound/{inbound_id}/customs/clear": Policy(ADMIN),
    "POST /v1/handheld/inbound/{inbound_id}/receipts": Policy(FLOOR, owner=INBOUND),
    "GET /v1/finance/landed-costs": Policy(("finance", "admin")),
    "GET /v1/admin/transfers/proposals": Policy(ADMIN),
    "POST /v1/admin/transfers": Policy(ADMIN),
    # ------------------------------------------------------------------ api/routes_receivables.py
    "GET /v1/dealers/{dealer_id}/account": Policy(("finance", "admin")),
    "POST /v1/dealers/{dealer_id}/payments": Policy(("finance", "admin")),
    "POST /v1/receivables/bank-statements": Policy(("finance", "admin")),
    "GET /v1/receivables/unmatched": Policy(("finance", "admin")),
    "POST /v1/receivables/unmatched/{payment_id}/assign": Policy(("finance", "admin")),
    "GET /v1/receivables/ageing": Policy(("finance", "admin")),
    "GET /v1/dealers/{dealer_id}/credit-limit-suggestion": Policy(("finance", "admin")),
    "POST /v1/admin/dealers/{dealer_id}/credit-limit-suggestion": Policy(ADMIN),
    # ------------------------------------------------------------------ api/routes_journey.py
    "GET /v1/shipments/{shipment_id}": Policy(READERS, owner=SHIPMENT),
    "GET /v1/track/{token}": PUBLIC,  # the buyer's link: the token is the secret
    "GET /track/{token}": PUBLIC,
    "GET /v1/finance/ledger-entries": Policy(("finance", "admin")),
    # ------------------------------------------------------------------ api/routes_planning.py
    "GET /v1/planning/forecasts": Policy(FLOOR, confined=OWN_WAREHOUSE),
    "POST /v1/planning/replenishment/run": Policy(ADMIN),
    "GET /v1/planning/replenishment": Policy(ADMIN),
    "POST /v1/planning/replenishment/{suggestion_id}/accept": Policy(ADMIN),
    "POST /v1/planning/replenishment/{suggestion_id}/reject": Policy(ADMIN),
    "GET /v1/planning/slow-movers": Policy(FLOOR, confined=OWN_WAREHOUSE),
    "POST /v1/planning/slow-movers/run": Policy(ADMIN),
    "POST /v1/planning/slow-movers/{suggestion_id}/accept": Policy(ADMIN),
    "POST /v1/planning/slow-movers/{suggestion_id}/reject": Policy(ADMIN),
    "GET /v1/planning/bundles": Policy(ADMIN),
    # ------------------------------------------------------------------ api/routes_returns.py
    "POST /v1/orders/{order_id}/returns": Policy(("connector", "admin"), owner=ORDER),
    "GET /v1/returns": Policy(
        ("connector", "warehouse", "finance", "admin"),
        confined="a connector lists its channel's returns, a warehouse key those coming to it",
    ),
    "GET /v1/returns/analysis": Policy(("finance", "admin")),
    "GET /v1/returns/{return_id}": Policy(
        ("connector", "warehouse", "finance", "admin"), owner=RETURN
    ),
    "POST /v1/returns/{return_id}/label": Policy(("connector", "admin"), owner=RETURN),
    "POST /v1/handheld/returns/{return_id}/receipts": Policy(FLOOR, owner=RETURN),
    "POST /v1/claims": Policy(ADMIN),
    "POST /v1/claims/lost-check": Policy(ADMIN),
    "GET /v1/claims": Policy(("finance", "admin")),
    "POST /v1/claims/submissions": Policy(("finance", "admin")),
    "GET /v1/claims/{claim_id}": Policy(("finance", "admin")),
    "POST /v1/claims/{claim_id}/decision": Policy(("finance", "admin")),
    "POST /v1/claims/{claim_id}/payment": Policy(("finance", "admin")),
    # ------------------------------------------------------------------ api/routes_metrics.py
    "GET /v1/metrics/health": Policy(("finance", "admin")),
    "PUT /v1/admin/metrics/{metric}/target": Policy(ADMIN),
    # ------------------------------------------------------------------ api/routes_privacy.py
    "POST /v1/privacy/erasure-requests": Policy(("privacy", "admin")),
    "GET /v1/privacy/subjects": Policy(("privacy", "admin")),
    # ------------------------------------------------------------------ api/routes_outbox.py
    "POST /v1/admin/outbox/subscriptions": Policy(ADMIN),
    "GET /v1/admin/outbox/subscriptions": Policy(ADMIN),
    "DELETE /v1/admin/outbox/subscriptions/{subscription_id}": Policy(ADMIN),
    "GET /v1/admin/outbox/messages": Policy(ADMIN),
    "GET /v1/admin/outbox/dead-letters": Policy(ADMIN),
    "POST /v1/admin/outbox/dead-letters/replay": Policy(ADMIN),
    "POST /v1/admin/outbox/dead-letters/{message_id}/replay": Policy(ADMIN),
}


def check_policy(key: str, policy: Policy) -> None:
    """A policy says how every tenant-bound role it allows is kept to its own."""
    for role in policy.roles:
        if role not in ROLES:
            raise ValueError(f"{key}: unknown role {role!r}")
    tenants = {r for r in SCOPED & set(policy.roles) if not policy.shared_with(r)}
    if tenants and policy.owner is None and policy.confined is None:
        raise ValueError(
            f"{key} allows {', '.join(sorted(tenants))}: declare its owner, what the route "
            "confines such a key to, or that its data is shared"
        )


# The pages (api/pages/): each page area declares its routes' roles in api/pages/policies/.
# A tenant-bound role let onto a page (the start page, sign-out) sees nobody's data there.
POLICIES.update(
    {
        key: Policy(public=True, page=True)
        if roles == "public"
        else Policy(
            tuple(roles),
            page=True,
            confined="a page of its own session" if SCOPED & set(roles) else None,
        )
        for key, roles in PAGES.items()
    }
)

for _key, _policy in POLICIES.items():
    check_policy(_key, _policy)


# ---------------------------------------------------------------------------- the guard
def policy_key(method: str, path: str) -> str:
    return f"{method} {path}"


def policy_of(
    method: str, path: str, policies: Mapping[str, Policy] | None = None
) -> Policy | None:
    table = POLICIES if policies is None else policies
    return table.get(policy_key("GET" if method == "HEAD" else method, path))


async def admit(
    policy: Policy | None,
    svc: Services | None,
    authorization: str | None,
    path_params: Mapping[str, str],
    cookie: str | None = None,
    path: str = "/pages",
) -> Principal | None:
    """The caller, if `policy` lets it call the route with these path parameters; else the
    HTTPException (401, 429, 403) or the NotFound (404) to answer. None for a public route.
    A page is admitted by its session `cookie` (the Cookie header) instead of a key: not
    signed in is SignInRequired (a redirect to sign in from `path`), another role PageRefused."""
    if policy is None:
        from fastapi import HTTPException

        raise HTTPException(status_code=403, detail="this route declares no access policy")
    if policy.public:
        return None
    assert svc is not None, "a guarded route needs the running services"
    if policy.page:
        who = page_principal(svc.sessions, svc.keys, cookie, policy.roles, path)
    else:
        who = authorize(svc.keys, bearer_credentials(authorization), policy.roles)
    owner = policy.owner
    if who.role in SCOPED and owner is not None:
        value = path_params.get(owner.param, owner.default)
        if owner.lookup:
            owners = await run_in_threadpool(_owners, owner, svc.app, value)
        else:
            owners = _owners(owner, svc.app, value)
        if who.scope not in owners.of(who.role):
            raise NotFound(owner.kind, value)
    return who


def _owners(owner: Owner, app: Crossdock, value: str) -> Owners:
    try:
        return owner.resolve(app, value)
    except DomainError:  # no such order, shipment...: the same answer, whatever was missing
        raise NotFound(owner.kind, value) from None


class AccessTable:
    """Every route of an application (paths as FastAPI matches them, in its order) with its
    policy: what `match` finds for a request is the route the router will run (the first whose
    path and method match)."""

    def __init__(self, routes: Iterable[Any], policies: Mapping[str, Policy] | None = None) -> None:
        self.by_method: dict[str, list[tuple[str, Pattern[str], dict[str, Any], Policy | None]]]
        self.by_method = {}
        for method, path in declared_routes(routes):
            regex, _, convertors = compile_path(path)
            prefix = path.split("{", 1)[0]  # a cheap test before the regex
            entry = (prefix, regex, convertors, policy_of(method, path, policies))
            self.by_method.setdefault(method, []).append(entry)

    def match(self, method: str, path: str) -> tuple[Policy | None, dict[str, Any]] | None:
        """The policy of the route `method path` reaches and its path parameters; None when no
        route takes it (the router answers 404 or 405 itself)."""
        for prefix, regex, convertors, policy in self.by_method.get(
            "GET" if method == "HEAD" else method, ()
        ):
            if not path.startswith(prefix):
                continue
            m = regex.match(path)
            if m is not None:
                return policy, {k: convertors[k].convert(v) for k, v in m.groupdict().items()}
        return None


# ---------------------------------------------------------------------------- the matrix
def cell(policy: Policy, role: str) -> str:
    if policy.public:
        return "public"
    if role not in policy.roles:
        return "-"
    if role in SCOPED and not policy.shared_with(role):
        return "own"
    return "yes"


def tenancy(policy: Policy) -> str:
    if policy.public:
        return "no key needed"
    if policy.page:
        return "a page, signed in by session" + (f"; {policy.confined}" if policy.confined else "")
    if policy.owner is not None:
        return policy.owner.describe
    if policy.confined is not None:
        if isinstance(policy.shared, tuple):
            return f"{policy.confined}; shared with: {', '.join(policy.shared)}"
        return policy.confined
    if policy.shared:
        return "shared data"
    return "-"


def declared_routes(routes: Iterable[Any]) -> list[tuple[str, str]]:
    """(method, path) of every route (those of included routers too), in the router's order."""
    out = []
    for ctx in iter_route_contexts(list(routes)):
        if ctx.path is None or ctx.methods is None:  # a mount (static files): no route
            continue
        methods = ctx.methods or {"GET"}
        out += [(m, ctx.path) for m in sorted(methods) if m != "HEAD" or methods == {"HEAD"}]
    return out


def render_matrix(routes: Iterable[Any], policies: Mapping[str, Policy] | None = None) -> str:
    """The Markdown table of who may call what, from the declarations."""
    head = ["route", *ROLES, "owner / scope"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for method, path in declared_routes(routes):
        policy = policy_of(method, path, policies)
        if policy is None:
            row = [f"`{method} {path}`", *["-"] * len(ROLES), "**undeclared: refused**"]
        else:
            row = [f"`{method} {path}`", *(cell(policy, r) for r in ROLES), tenancy(policy)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


MATRIX_START = "<!-- access-matrix:start (crossdock access-matrix --write) -->"
MATRIX_END = "<!-- access-matrix:end -->"


def with_matrix(readme: str, table: str) -> str:
    """README text with the table between the markers replaced by `table`."""
    start, end = readme.index(MATRIX_START), readme.index(MATRIX_END)
    return readme[: start + len(MATRIX_START)] + "\n" + table + readme[end:]


def matrix_in(readme: str) -> str:
    start, end = readme.index(MATRIX_START), readme.index(MATRIX_END)
    return readme[start + len(MATRIX_START) : end].lstrip("\n")


__all__ = ["POLICIES", "AccessTable", "Owner", "Owners", "Policy", "admit", "render_matrix"]
