"""Rules of the register that a form and a service both ask: each gives None when the change
is allowed, or the reason it is not, in words for staff (the services raise it, the admin's
forms show it)."""

from datetime import date

from django.utils.translation import gettext as _


def review_dates_blocker(reviewed_on: date, next_review_on: date | None) -> str | None:
    """A review is recorded with the next one after it (or none planned)."""
    if next_review_on is not None and next_review_on <= reviewed_on:
        return _("The next review must come after this one.")
    return None


def policy_version_frozen(version) -> str | None:
    """A published version is what people were told: it never changes, nor goes away."""
    if version.pk is not None and version.published_at is not None:
        return _(
            "Version %(version)s (%(language)s) is published and cannot be changed; create a "
            "new version instead."
        ) % {"version": version.version, "language": version.language}
    return None


def subject_addresses_blocker(addresses: list[tuple[str, bool]], *, new: bool) -> str | None:
    """A data subject's addresses, as (address, primary) pairs: a new subject comes with at
    least one, and a subject with addresses has exactly one primary (the database allows one
    per subject; the set is judged whole, so moving the mark saves in one go)."""
    if not addresses:
        return _("A data subject needs at least one email address.") if new else None
    if len({address for address, _primary in addresses}) != len(addresses):
        return _("Each email address is listed once.")
    if sum(1 for _address, primary in addresses if primary) != 1:
        return _("Mark exactly one email address as primary.")
    return None
