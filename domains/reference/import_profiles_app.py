"""Dealer import profile use cases: create, revise, read, and resolve the profile a file names.

Called from the API (api/routes_dealer_profiles.py), the order intake of dealer files
(domains/orders/application.py) and tests alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.reference.import_profiles import (
    CODE,
    DealerImportProfile,
    DealerImportProfiles,
    ImportProfile,
    profile_errors,
)
from domains.store import Store


class ImportProfileUseCases:
    def __init__(self, store: Store, dealer_exists: Callable[[str], object]) -> None:
        """`dealer_exists(code)` raises NotFound for an unknown dealer."""
        self.store = store
        self.dealer_exists = dealer_exists

    # ------------------------------------------------------------------ commands
    def create(
        self,
        dealer_id: str,
        code: str,
        spec: dict[str, Any],
        by: str,
        *,
        default: bool = False,
    ) -> tuple[DealerImportProfile, int]:
        """A new profile at version 1 (409 when the dealer already has one of this id)."""
        self.dealer_exists(dealer_id)
        errors = [] if CODE.fullmatch(code or "") else [_code_error(code)]
        errors += profile_errors(spec)
        if errors:
            raise ValidationFailed(errors)
        if self.store.get_or_none(DealerImportProfile.create_id(dealer_id, code)) is not None:
            raise InvalidTransition(
                f"dealer {dealer_id} already has import profile {code!r}; revise it with PUT"
            )
        index = self._index(dealer_id) or DealerImportProfiles(dealer_id)
        profile = DealerImportProfile(dealer_id, code, spec, 1, by, self._now())
        index.add(code)
        if default or index.default is None:  # a dealer's first profile is its default
            index.choose_default(code)
        return profile, self.store.commit(profile, index)

    def revise(
        self,
        dealer_id: str,
        code: str,
        spec: dict[str, Any],
        by: str,
        *,
        default: bool = False,
    ) -> tuple[DealerImportProfile, int]:
        """The next version of a profile; the same profile again records nothing."""
        profile = self.get(dealer_id, code)
        errors = profile_errors(spec)
        if errors:
            raise ValidationFailed(errors)
        index = self._index(dealer_id)
        changed: list[Any] = []
        if spec != profile.spec:
            profile.revise(spec, profile.profile_version + 1, by, self._now())
            changed.append(profile)
        if default and index is not None and index.default != code:
            index.choose_default(code)
            changed.append(index)
        return profile, (self.store.commit(*changed) if changed else 0)

    # ------------------------------------------------------------------ reads
    def get(self, dealer_id: str, code: str) -> DealerImportProfile:
        profile = self.store.get_or_none(DealerImportProfile.create_id(dealer_id, code))
        if not isinstance(profile, DealerImportProfile):
            raise NotFound("import profile", f"{dealer_id}/{code}")
        return profile

    def listing(self, dealer_id: str) -> dict[str, Any]:
        self.dealer_exists(dealer_id)
        index = self._index(dealer_id)
        codes = index.codes if index else []
        return {
            "dealer_id": dealer_id,
            "default": index.default if index else None,
            "items": [self.get(dealer_id, code).details() for code in codes],
        }

    def resolve(self, dealer_id: str | None, code: str | None) -> ImportProfile | None:
        """The profile version a dealer file is read with: the one named, else the dealer's
        default; None (today's CSV format) when neither names one."""
        if dealer_id is None:
            if code is not None:
                raise ValidationFailed(
                    [{"loc": "dealer", "msg": "name the dealer whose profile reads the file"}]
                )
            return None
        self.dealer_exists(dealer_id)
        if code is None:
            index = self._index(dealer_id)
            code = index.default if index else None
            if code is None:
                return None
        return self.get(dealer_id, code).current()

    # ------------------------------------------------------------------ helpers
    def _index(self, dealer_id: str) -> DealerImportProfiles | None:
        index = self.store.get_or_none(DealerImportProfiles.create_id(dealer_id))
        return index if isinstance(index, DealerImportProfiles) else None

    def _now(self) -> str:
        return self.store.clock.now().isoformat()


def _code_error(code: Any) -> dict[str, str]:
    return {
        "loc": "id",
        "msg": f"expected lower-case letters, digits and '-' (up to 63), got {code!r}",
    }
