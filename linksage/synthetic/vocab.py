"""Words of the synthetic marketplace: career areas, titles, skills, locations.

Titles and skills belong to a career area (a cluster of the latent interest space). Within an
area their popularity follows a Zipf-Mandelbrot law, so the number of distinct titles and skills
that appear grows sub-linearly with the number of draws (Heaps' law, exponent about 1/a). See
docs/generative_model.md.
"""

from __future__ import annotations

import numpy as np

# One career area per domain word; the domain word appears in every title and skill of the area,
# which is what makes search queries (title or skill words) point at an area.
CAREER_AREAS = (
    "software",
    "data",
    "sales",
    "marketing",
    "finance",
    "accounting",
    "nursing",
    "teaching",
    "logistics",
    "mechanical",
    "electrical",
    "civil",
    "legal",
    "design",
    "product",
    "security",
    "cloud",
    "recruiting",
    "support",
    "operations",
    "research",
    "pharmacy",
    "construction",
    "hospitality",
)

ROLES = (
    "engineer",
    "analyst",
    "manager",
    "specialist",
    "consultant",
    "associate",
    "coordinator",
    "director",
    "developer",
    "technician",
    "administrator",
    "lead",
    "architect",
    "scientist",
    "officer",
    "assistant",
    "representative",
    "planner",
    "strategist",
    "supervisor",
)

MODIFIERS = (
    "applied",
    "clinical",
    "digital",
    "field",
    "global",
    "regional",
    "technical",
    "quantitative",
    "enterprise",
    "retail",
    "industrial",
    "mobile",
    "strategic",
    "commercial",
    "corporate",
    "public",
    "embedded",
    "platform",
    "risk",
    "quality",
    "process",
    "account",
    "program",
    "systems",
    "network",
    "content",
    "growth",
    "partner",
    "inside",
    "outside",
    "junior",
    "staff",
    "principal",
    "interim",
    "remote",
    "hybrid",
    "senior",
    "chief",
    "deputy",
    "associate",
)

SKILL_NOUNS = (
    "modeling",
    "analysis",
    "planning",
    "reporting",
    "automation",
    "testing",
    "compliance",
    "negotiation",
    "forecasting",
    "optimization",
    "auditing",
    "design",
    "scheduling",
    "budgeting",
    "documentation",
    "troubleshooting",
    "research",
    "training",
    "strategy",
    "operations",
    "integration",
    "monitoring",
    "procurement",
    "inspection",
    "evaluation",
    "coaching",
    "writing",
    "tooling",
    "security",
    "administration",
)

# Skills that are not specific to any career area (they carry no signal about interest).
GENERIC_SKILLS = (
    "communication",
    "teamwork",
    "leadership",
    "problem solving",
    "project management",
    "microsoft office",
    "customer service",
    "time management",
    "presentation",
    "english",
    "spanish",
    "mentoring",
)

REMOTE = "remote"

# Constants of the vocabulary itself (they name the words, so they are not preset parameters:
# changing one renames titles and skills rather than changing the generative model).
MAX_RANK = 10_000_000  # cap on a Zipf-Mandelbrot rank, below CODE_BASE so codes stay unique
CODE_BASE = 100_000_000  # to_strings packs (area, rank) into one int64: (area + 1) * base + rank
ROLE_ORDER_SEED = 10_000  # area k orders its roles with the generator seeded ROLE_ORDER_SEED + k
SKILL_NOUN_SHIFT = 7  # area k starts its skill nouns at 7 * k, so areas differ in top skills


def location_names(n: int) -> np.ndarray:
    """Names of the n metro areas (index 0 is the largest)."""
    return np.array([f"metro {i:03d}" for i in range(n)], dtype=object)


def company_names(n: int) -> np.ndarray:
    """Names of the n companies."""
    return np.array([f"company {i:07d}" for i in range(n)], dtype=object)


def zipf_mandelbrot_ranks(rng: np.random.Generator, n: int, a: float, q: float) -> np.ndarray:
    """Ranks 1, 2, ... with P(rank = k) roughly proportional to (k + q) ** -a (a > 1).

    Drawn from the continuous Pareto law and floored, so it is exact in the tail and smooth in
    the head; an offset q > 0 flattens the head (the most common title is not half of all).
    """
    u = rng.random(n)
    x = q * (1.0 - u) ** (-1.0 / (a - 1.0))
    return np.minimum(np.floor(x - q).astype(np.int64) + 1, MAX_RANK)


def _role_order(area: int) -> np.ndarray:
    # A fixed, area-specific order of roles, so the top title differs between areas.
    return np.random.default_rng(ROLE_ORDER_SEED + area).permutation(len(ROLES))


def title_text(area: int, rank: int) -> str:
    """The title string for (career area, popularity rank)."""
    r = rank - 1
    role = ROLES[_role_order(area)[r % len(ROLES)]]
    m = r // len(ROLES)
    if m == 0:
        return f"{CAREER_AREAS[area]} {role}"
    mod = MODIFIERS[(m - 1) % len(MODIFIERS)]
    level = (m - 1) // len(MODIFIERS)
    suffix = f" {level + 1}" if level else ""
    return f"{mod} {CAREER_AREAS[area]} {role}{suffix}"


def skill_text(area: int, rank: int) -> str:
    """The skill string for (career area, popularity rank); area -1 is the generic pool."""
    if area < 0:
        return GENERIC_SKILLS[(rank - 1) % len(GENERIC_SKILLS)]
    r = rank - 1
    noun = SKILL_NOUNS[(r + SKILL_NOUN_SHIFT * area) % len(SKILL_NOUNS)]
    m = r // len(SKILL_NOUNS)
    if m == 0:
        return f"{CAREER_AREAS[area]} {noun}"
    return f"{CAREER_AREAS[area]} {noun} {m + 1}"


def to_strings(area: np.ndarray, rank: np.ndarray, text) -> np.ndarray:
    """Map (area, rank) code arrays to an object array of strings, building each distinct
    string once (rows share the same str objects, which keeps memory low)."""
    code = (area.astype(np.int64) + 1) * CODE_BASE + rank.astype(np.int64)
    uniq, inverse = np.unique(code, return_inverse=True)
    words = np.empty(len(uniq), dtype=object)
    for i, c in enumerate(uniq.tolist()):
        words[i] = text(int(c // CODE_BASE) - 1, int(c % CODE_BASE))
    return words[inverse]
