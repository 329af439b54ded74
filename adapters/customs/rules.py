"""Customs rules from data: adapters/data/customs/ and the EU's VAT rates from duty27-eu-vat.

    markets.json           per destination, effective-dated versions of the rules: currency,
                           VAT/GST rate and name, duty and VAT bases (CIF/FOB), low-value
                           reliefs and schemes, formal-entry threshold, sources and notes; and
                           one block of versions for all EU-27 member states
    duty_rates.json        the project's SAMPLE duty tables by HS prefix, one per market (the
                           member states share "EU")
    restricted_goods.json  prohibited and restricted goods by HS prefix per destination
    territories.json       customs territories (the EU customs union, GB, US, ...): which
                           countries clear goods between them without a declaration, and the
                           exceptions the table does not cover. Optional in a stored rules
                           stream (streams published before it existed): the shipped file is
                           used then.

EU member states get one `MarketRules` per stretch of time in which the EU block's version, the
member's standard VAT rate (its dated history in duty27-eu-vat) and its currency (Bulgaria: the
euro from 2026-01-01) all stay the same, so `rules_for(country, day)` answers with the rate in
force that day. duty27-eu-vat ships its data inside the package (MIT code, CC BY 4.0 data; the
attribution is in markets.json and in `TariffTables.sources`): no network.

The version every result cites is a hash of the three files and the VAT package's version and
data date: any change to any of them is a new version. A file that does not parse into rules
raises ValueError naming the market and the field, and nothing is loaded.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import duty27_eu_vat

from domains.customs.tariff import GoodsRestriction, MarketRules, Money, Relief, TariffTables

DATA_DIR = Path(__file__).parent.parent / "data" / "customs"
FILES = ("markets.json", "duty_rates.json", "restricted_goods.json")
OPTIONAL_FILES = ("territories.json",)  # filled from DATA_DIR when a stored version lacks them
# duty27-eu-vat writes Greece as the EU does (EL); destinations are ISO codes (GR).
EU_VAT_CODES = {"GR": "EL"}
RESTRICTION_LEVELS = ("prohibited", "restricted")
RELIEF_FIELDS = {
    "code", "threshold", "currency", "value_basis", "inclusive", "b2c_only", "ship_from",
    "excluded_prefixes", "relieves_duty", "flat_duty_per_subheading", "relieves_border_tax",
    "tax_at_sale", "tax_at_sale_base", "registration", "registration_optional",
    "effective_note", "source",
}  # fmt: skip


def load_tariffs(data_dir: Path = DATA_DIR) -> TariffTables:
    """The tariff tables from `data_dir` (cached per directory: the files are read once)."""
    return _load(Path(data_dir).resolve())


def _dec(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{where}: {value!r} is not a number") from None


def _day(value: str | None, where: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a YYYY-MM-DD date") from None


def _relief(raw: dict[str, Any], where: str) -> Relief:
    unknown = set(raw) - RELIEF_FIELDS
    if unknown:  # a misspelt field would silently fall back to its default
        raise ValueError(f"{where}: unknown relief fields {sorted(unknown)}")
    flat = raw.get("flat_duty_per_subheading")
    fields = dict(raw)
    fields.update(
        threshold=_dec(raw["threshold"], f"{where}.threshold"),
        ship_from=frozenset(raw.get("ship_from", ())),
        excluded_prefixes=tuple(raw.get("excluded_prefixes", ())),
        flat_duty_per_subheading=None if flat is None else _dec(flat, f"{where}.flat_duty"),
    )
    return Relief(**fields)


def _duty_tables(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    for name, table in raw["tables"].items():
        where = f"duty_rates.json {name}"
        rates: dict[str, Decimal] = {}
        for entry in table["rates"]:
            prefix = entry["hs_prefix"]
            if prefix in rates:
                raise ValueError(f"{where}: {prefix} listed twice")
            rates[prefix] = _dec(entry["rate"], f"{where} {prefix}")
        tables[name] = {
            "duty_rates": rates,
            "default_duty_rate": _dec(table["default"], f"{where}.default"),
            "duty_table_sample": bool(table.get("sample", False)),
            "source": table.get("source", ""),
        }
    return tables


def _market(
    country: str,
    spec: dict[str, Any],
    tables: dict[str, dict[str, Any]],
    exponents: dict[str, int],
    version: str,
    **given: Any,
) -> MarketRules:
    """One MarketRules from a version block; `given` fills or overrides fields (the EU's
    per-member currency, VAT rate and dates)."""
    where = f"{country} from {spec['effective_from']}"
    table_name = spec["duty_table"]
    if table_name not in tables:
        raise ValueError(f"{where}: no duty table {table_name!r}")
    table = tables[table_name]
    threshold = spec.get("formal_entry_threshold")
    fields: dict[str, Any] = {
        "country": country,
        "effective_from": _day(spec["effective_from"], where),
        "effective_to": _day(spec.get("effective_to"), where),
        "currency": spec.get("currency"),
        "vat_rate": _dec(spec["vat_rate"], f"{where}.vat_rate") if "vat_rate" in spec else None,
        "vat_name": spec.get("vat_name"),
        "vat_basis": spec["vat_basis"],
        "duty_basis": spec["duty_basis"],
        "duty_rates": table["duty_rates"],
        "default_duty_rate": table["default_duty_rate"],
        "duty_table": table_name,
        "duty_table_sample": table["duty_table_sample"],
        "reliefs": tuple(
            _relief(r, f"{where} relief {r.get('code')}") for r in spec.get("reliefs", ())
        ),
        "formal_entry_threshold": None
        if threshold is None
        else Money(_dec(threshold["amount"], f"{where}.formal_entry"), threshold["currency"]),
        "version": version,
        "source": spec.get("source", ""),
        "vat_source": spec.get("vat_source", ""),
        "notes": tuple(spec.get("notes", ())),
    }
    fields.update(given)
    fields["money_exponent"] = exponents.get(fields["currency"], 2)
    missing = [k for k in ("currency", "vat_rate", "vat_name") if fields[k] is None]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    return MarketRules(**fields)


def _windows(spec: str | list[list[str]], first: date) -> list[tuple[date, str]]:
    if isinstance(spec, str):
        return [(first, spec)]
    return [(date.fromisoformat(d), value) for d, value in spec]


def _in_force(windows: list[tuple[date, Any]], day: date) -> Any:
    current = None
    for start, value in windows:  # ascending
        if start <= day:
            current = value
    return current


def _eu_markets(
    eu: dict[str, Any],
    tables: dict[str, dict[str, Any]],
    exponents: dict[str, int],
    version: str,
) -> list[MarketRules]:
    attribution = eu["vat"]["attribution"]
    markets: list[MarketRules] = []
    for country, currency_spec in sorted(eu["members"].items()):
        vat = [
            (w.effective_from, w.rate / 100)
            for w in duty27_eu_vat.get_rate_history(EU_VAT_CODES.get(country, country))
        ]
        currencies = _windows(currency_spec, vat[0][0])
        changes = sorted({d for d, _ in vat} | {d for d, _ in currencies})
        for spec in eu["versions"]:
            start = _day(spec["effective_from"], f"EU {country}")
            end = _day(spec.get("effective_to"), f"EU {country}")
            assert start is not None
            cuts = [start] + [d for d in changes if start < d and (end is None or d <= end)]
            for i, seg_start in enumerate(cuts):
                seg_end = cuts[i + 1] - timedelta(days=1) if i + 1 < len(cuts) else end
                rate = _in_force(vat, seg_start)
                if rate is None:
                    raise ValueError(f"EU {country}: no VAT rate on {seg_start}")
                markets.append(
                    _market(
                        country,
                        spec,
                        tables,
                        exponents,
                        version,
                        effective_from=seg_start,
                        effective_to=seg_end,
                        currency=_in_force(currencies, seg_start),
                        vat_rate=rate,
                        vat_name=eu["vat_name"],
                        union="EU",
                        vat_source=f"{eu['vat']['package']}: {attribution}",
                    )
                )
    return markets


def _restrictions(raw: dict[str, Any]) -> dict[str, tuple[GoodsRestriction, ...]]:
    out: dict[str, tuple[GoodsRestriction, ...]] = {}
    for country, entries in raw["rules"].items():
        items = []
        for e in entries:
            level = e.get("level", "prohibited")
            if level not in RESTRICTION_LEVELS:
                raise ValueError(
                    f"restricted_goods.json {country} {e['hs_prefix']}: level {level!r}"
                )
            items.append(GoodsRestriction(e["hs_prefix"], e["category"], e["reason"], level))
        out[country] = tuple(items)
    return out


@lru_cache(maxsize=8)
def _load(data_dir: Path) -> TariffTables:
    return tables_from_files(
        {name: (data_dir / name).read_bytes() for name in (*FILES, *OPTIONAL_FILES)}
    )


def shipped_files(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """The shipped rules as text, to publish as the first version of the rules stream."""
    return {name: (Path(data_dir) / name).read_text() for name in (*FILES, *OPTIONAL_FILES)}


@lru_cache(maxsize=16)
def _tables_cached(key: tuple[tuple[str, bytes], ...]) -> TariffTables:
    return _build(dict(key))


def tables_from_files(raw: dict[str, bytes | str]) -> TariffTables:
    """Tables from the three files' contents (as stored in the customs rules stream)."""
    as_bytes = {n: (v.encode() if isinstance(v, str) else v) for n, v in raw.items()}
    missing = [n for n in FILES if n not in as_bytes]
    if missing:
        raise ValueError(f"missing rule files: {', '.join(missing)}")
    for name in OPTIONAL_FILES:  # a version published before the file existed
        if name not in as_bytes:
            as_bytes[name] = (DATA_DIR / name).read_bytes()
    return _tables_cached(tuple(sorted(as_bytes.items())))


def _build(raw: dict[str, bytes]) -> TariffTables:
    markets_raw = json.loads(raw["markets.json"])
    tables = _duty_tables(json.loads(raw["duty_rates.json"]))
    restricted_raw = json.loads(raw["restricted_goods.json"])

    vat_package = (
        f"duty27-eu-vat {metadata.version('duty27-eu-vat')} "
        f"(data as of {duty27_eu_vat.DATA_AS_OF.isoformat()})"
    )
    territories, territories_version = _territories(raw["territories.json"])
    digest = hashlib.sha256()
    for name in (*FILES, *OPTIONAL_FILES):
        digest.update(name.encode() + b"\0" + raw[name] + b"\0")
    digest.update(vat_package.encode())
    version = "customs-" + digest.hexdigest()[:12]

    exponents = {k: int(v) for k, v in markets_raw.get("money_exponents", {}).items()}
    markets = _eu_markets(markets_raw["eu"], tables, exponents, version)
    for country, versions in sorted(markets_raw["markets"].items()):
        markets.extend(_market(country, spec, tables, exponents, version) for spec in versions)

    return TariffTables(
        version=version,
        markets=tuple(markets),
        restrictions=_restrictions(restricted_raw),
        restrictions_version="restricted-"
        + hashlib.sha256(raw["restricted_goods.json"]).hexdigest()[:12],
        money_exponents=exponents,
        sources={
            "eu_vat": f"{vat_package}; {duty27_eu_vat.ATTRIBUTION}",
            "markets": "markets.json",
            "duty_rates": "duty_rates.json (SAMPLE tables)",
            "restrictions": restricted_raw.get("source", ""),
            "territories": "territories.json",
        },
        territories=territories,
        territories_version=territories_version,
    )


def _territories(raw: bytes) -> tuple[dict[str, str], str]:
    """country -> territory code from territories.json, and the file's version. A country in
    two territories, or a member that is not a two-letter code, is refused."""
    data = json.loads(raw)
    out: dict[str, str] = {}
    for code, spec in data["territories"].items():
        members = spec["members"]
        if not members:
            raise ValueError(f"territories.json {code}: no members")
        for country in members:
            if not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
                raise ValueError(f"territories.json {code}: {country!r} is not an ISO country")
            if country.upper() in out:
                raise ValueError(
                    f"territories.json: {country} is in both {out[country.upper()]} and {code}"
                )
            out[country.upper()] = code
    return out, "territories-" + hashlib.sha256(raw).hexdigest()[:12]
