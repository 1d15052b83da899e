"""Every ISO 3166 country with the EEA members and the adequacy decisions in force.

Adequacy changes over time (re-check periodically); staff edit it in the admin afterwards.
Sources: the Commission's adequacy list; EU-US DPF 2023/1795 (upheld in Latombe, T-553/23,
3 September 2025, appealable); UK renewed December 2025 to 2031; Brazil January 2026.
"""

from datetime import date

import pycountry

EEA = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "IS",
    "LI",
    "NO",
]

ADEQUACY = {
    # code: (adequacy, decision, date, notes)
    "AD": ("full", "Commission Decision 2010/625/EU", date(2010, 10, 19), ""),
    "AR": ("full", "Commission Decision 2003/490/EC", date(2003, 6, 30), ""),
    "CA": (
        "commercial",
        "Commission Decision 2002/2/EC",
        date(2001, 12, 20),
        "Covers organisations subject to PIPEDA only.",
    ),
    "FO": ("full", "Commission Decision 2010/146/EU", date(2010, 3, 5), ""),
    "GG": ("full", "Commission Decision 2003/821/EC", date(2003, 11, 21), ""),
    "IL": ("full", "Commission Decision 2011/61/EU", date(2011, 1, 31), ""),
    "IM": ("full", "Commission Decision 2004/411/EC", date(2004, 4, 28), ""),
    "JP": ("full", "Commission Implementing Decision (EU) 2019/419", date(2019, 1, 23), ""),
    "JE": ("full", "Commission Decision 2008/393/EC", date(2008, 5, 8), ""),
    "NZ": ("full", "Commission Implementing Decision 2013/65/EU", date(2012, 12, 19), ""),
    "KR": ("full", "Commission Implementing Decision (EU) 2022/254", date(2021, 12, 17), ""),
    "CH": ("full", "Commission Decision 2000/518/EC", date(2000, 7, 26), ""),
    "UY": ("full", "Commission Implementing Decision 2012/484/EU", date(2012, 8, 21), ""),
    "GB": (
        "full",
        "Commission Implementing Decision (EU) 2021/1772",
        date(2021, 6, 28),
        "Renewed in December 2025 until 2031.",
    ),
    "US": (
        "dpf",
        "Commission Implementing Decision (EU) 2023/1795 (EU-US Data Privacy Framework)",
        date(2023, 7, 10),
        "Covers organisations certified under the Data Privacy Framework only. Upheld by the "
        "General Court in Latombe v Commission, T-553/23, 3 September 2025 (appealable).",
    ),
    "BR": (
        "full",
        "Commission adequacy decision for Brazil",
        None,
        "Mutual adequacy decisions adopted in January 2026; record the decision's reference "
        "and date once checked.",
    ),
}


def seed_countries(Country) -> None:
    """Create or update every country; `Country` is the model (or its migration state)."""
    for country in pycountry.countries:
        code = country.alpha_2
        adequacy, decision, decided_on, notes = ADEQUACY.get(code, ("none", "", None, ""))
        Country.objects.update_or_create(
            code=code,
            defaults={
                "name": getattr(country, "common_name", None) or country.name,
                "is_eea": code in EEA,
                "adequacy": adequacy,
                "adequacy_decision": decision,
                "adequacy_date": decided_on,
                "notes": notes,
            },
        )
