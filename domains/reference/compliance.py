"""Products' compliance attributes and the goods classes carriers refuse.

Pure: standard library only. A product's `compliance` is a plain dict (None: nothing declared):

    dangerous_goods     {"un_number": "UN3480", "class": "9", "packing_section": "II"}
                        lithium batteries are UN3480 (lithium-ion, alone), UN3481 (lithium-ion
                        in or packed with equipment), UN3090 / UN3091 (lithium metal, the same);
                        they are class 9 and name their IATA packing section (IA, IB, I or II)
    excise              "alcohol" or "tobacco"
    temperature_c       {"min": 2, "max": 8}: the range the goods must travel in
    documents_required  {"US": ["FDA prior notice"], "DE": ["CE marking"]}: per destination
                        country, the licences or certificates a shipment there needs
    documents_held      ["CE marking"]: those the seller holds for this product

`goods_classes` turns a product into what rate cards refuse (`refuse,<goods_type>` rows):
lithium_batteries (batteries alone, and any product whose HS code is 8507.60),
lithium_in_equipment, dangerous_goods (any other UN number), alcohol, tobacco, perishable.
`perishable` is goods that need a temperature range (a cold chain), which is what carriers
refuse; the product's own `perishable` flag means its lots carry expiry dates (FEFO, shelf
life), which tea, chocolate or wine do without any carrier minding.
"""

from __future__ import annotations

import re
from typing import Any

LITHIUM_UN = {
    "UN3480": ("lithium-ion batteries", "lithium_batteries"),
    "UN3481": ("lithium-ion batteries in or packed with equipment", "lithium_in_equipment"),
    "UN3090": ("lithium metal batteries", "lithium_batteries"),
    "UN3091": ("lithium metal batteries in or packed with equipment", "lithium_in_equipment"),
}
# UN hazard classes and divisions (UN Model Regulations, part 2).
DG_CLASSES = frozenset(
    ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "2.3", "3", "4.1", "4.2", "4.3"]
    + ["5.1", "5.2", "6.1", "6.2", "7", "8", "9"]
)
PACKING_SECTIONS = frozenset({"IA", "IB", "I", "II"})
EXCISE = frozenset({"alcohol", "tobacco"})
UN_NUMBER = re.compile(r"UN\d{4}")
COUNTRY = re.compile(r"[A-Z]{2}")
COMPLIANCE_KEYS = frozenset(
    {"dangerous_goods", "excise", "temperature_c", "documents_required", "documents_held"}
)

LITHIUM_HS = ("8507.60", "850760")
ALCOHOL_HS = ("2203", "2204", "2205", "2206", "2207", "2208")
TOBACCO_HS = ("2402", "2403", "2404")


def compliance_errors(compliance: dict[str, Any] | None) -> list[dict[str, str]]:
    """Every problem with a compliance dict, as {loc, msg} (loc under `compliance.`)."""
    if compliance is None:
        return []
    errors: list[dict[str, str]] = []

    def err(loc: str, msg: str) -> None:
        errors.append({"loc": f"compliance.{loc}" if loc else "compliance", "msg": msg})

    if not isinstance(compliance, dict):
        return [{"loc": "compliance", "msg": "an object"}]
    for key in sorted(set(compliance) - COMPLIANCE_KEYS):
        err(key, "unknown attribute")
    dg = compliance.get("dangerous_goods")
    if dg is not None:
        un, cls, section = dg.get("un_number"), dg.get("class"), dg.get("packing_section")
        if not isinstance(un, str) or not UN_NUMBER.fullmatch(un):
            err("dangerous_goods.un_number", "a UN number: UN and four digits, e.g. UN3480")
        if cls not in DG_CLASSES:
            err("dangerous_goods.class", "a UN hazard class or division, e.g. 3, 4.1 or 9")
        if isinstance(un, str) and un in LITHIUM_UN:
            if cls in DG_CLASSES and cls != "9":
                err("dangerous_goods.class", f"{un} (lithium batteries) is class 9")
            if section not in PACKING_SECTIONS:
                err(
                    "dangerous_goods.packing_section",
                    f"{un} needs its packing section: one of {', '.join(sorted(PACKING_SECTIONS))}",
                )
        elif section is not None and isinstance(un, str) and UN_NUMBER.fullmatch(un):
            err("dangerous_goods.packing_section", "only lithium batteries name a section")
    excise = compliance.get("excise")
    if excise is not None and excise not in EXCISE:
        err("excise", "alcohol or tobacco")
    temp = compliance.get("temperature_c")
    if temp is not None:
        low, high = temp.get("min"), temp.get("max")
        if not all(isinstance(v, int | float) for v in (low, high)) or low > high:
            err("temperature_c", "min and max in degrees Celsius, min <= max")
    for country, docs in (compliance.get("documents_required") or {}).items():
        if not COUNTRY.fullmatch(str(country)):
            err(f"documents_required.{country}", "keys are ISO 3166 alpha-2 countries")
        if not isinstance(docs, list) or not all(isinstance(d, str) and d for d in docs):
            err(f"documents_required.{country}", "a list of document names")
    held = compliance.get("documents_held")
    if held is not None and (
        not isinstance(held, list) or not all(isinstance(d, str) and d for d in held)
    ):
        err("documents_held", "a list of document names")
    return errors


def goods_classes(
    hs_code: str, perishable: bool, compliance: dict[str, Any] | None
) -> frozenset[str]:
    """What carriers refuse or restrict about one product, from its HS code and its compliance
    attributes (`perishable`, the expiry flag, is not a carrier's concern: see above)."""
    kinds: set[str] = set()
    if hs_code.startswith(LITHIUM_HS):
        kinds.add("lithium_batteries")
    if hs_code.startswith(ALCOHOL_HS):
        kinds.add("alcohol")
    if hs_code.startswith(TOBACCO_HS):
        kinds.add("tobacco")
    c = compliance or {}
    dg = c.get("dangerous_goods")
    if dg:
        un = dg.get("un_number")
        kinds.add(LITHIUM_UN[un][1] if un in LITHIUM_UN else "dangerous_goods")
    if c.get("excise"):
        kinds.add(str(c["excise"]))
    if c.get("temperature_c"):
        kinds.add("perishable")
    return frozenset(kinds)


def missing_documents(compliance: dict[str, Any] | None, destination: str) -> list[str]:
    """The licences or certificates a shipment to `destination` needs that are not held."""
    c = compliance or {}
    needed = (c.get("documents_required") or {}).get(destination, [])
    held = set(c.get("documents_held") or [])
    return [d for d in needed if d not in held]
